package dev.adjoint.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module boundary: core's module-info exports only the API packages, and no public or
 * protected member of an exported type mentions a type of the internal packages (kernel, ops) in
 * its signature, so nothing internal can be reached, taken or returned through the API.
 */
class ModuleBoundaryTest {
    private static final Set<String> API = Set.of("dev.adjoint.core", "dev.adjoint.core.gradcheck");
    private static final String INTERNAL_KERNEL = "dev.adjoint.core.kernel";
    private static final String INTERNAL_OPS = "dev.adjoint.core.ops";

    /** Where core's compiled classes are (the tests run on the class path). */
    private static Path classes() throws URISyntaxException {
        return Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static ModuleDescriptor descriptor() throws IOException, URISyntaxException {
        try (InputStream in = Files.newInputStream(classes().resolve("module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void theModuleExportsExactlyTheApiPackages() throws IOException, URISyntaxException {
        ModuleDescriptor d = descriptor();
        assertEquals("dev.adjoint.core", d.name());
        Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertEquals(API, exported);
        assertTrue(d.opens().isEmpty(), "core opens no package for reflection: " + d.opens());
    }

    /** Every class of the exported packages, from the compiled classes' directory. */
    private static List<Class<?>> apiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = classes();
        List<Class<?>> classes = new ArrayList<>();
        for (String pkg : API) {
            Path dir = root.resolve(pkg.replace('.', '/'));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList())) {
                    String simple = f.getFileName().toString().replace(".class", "");
                    if (!simple.equals("package-info")) {
                        classes.add(Class.forName(pkg + "." + simple, false, Tensor.class.getClassLoader()));
                    }
                }
            }
        }
        return classes;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** A type that is visible from outside: public, and every enclosing class public too. */
    private static boolean exposed(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static void collectInternal(Type t, String where, Set<String> leaks) {
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            String pkg = c.getPackageName();
            if (pkg.equals(INTERNAL_KERNEL) || pkg.equals(INTERNAL_OPS)) {
                leaks.add(where + " -> " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            collectInternal(p.getRawType(), where, leaks);
            for (Type a : p.getActualTypeArguments()) {
                collectInternal(a, where, leaks);
            }
        } else if (t instanceof GenericArrayType g) {
            collectInternal(g.getGenericComponentType(), where, leaks);
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                collectInternal(b, where, leaks);
            }
            for (Type b : w.getLowerBounds()) {
                collectInternal(b, where, leaks);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                collectInternal(b, where, leaks);
            }
        }
    }

    private static void collectSignature(Executable e, String where, Set<String> leaks) {
        for (Type p : e.getGenericParameterTypes()) {
            collectInternal(p, where, leaks);
        }
        for (Type x : e.getGenericExceptionTypes()) {
            collectInternal(x, where, leaks);
        }
        if (e instanceof Method m) {
            collectInternal(m.getGenericReturnType(), where, leaks);
        }
    }

    @Test
    void noPublicSignatureOfTheApiMentionsAnInternalType() throws Exception {
        Set<String> leaks = new TreeSet<>();
        int members = 0;
        List<Class<?>> classes = apiClasses();
        for (Class<?> c : classes) {
            if (!exposed(c)) {
                continue;
            }
            collectInternal(c.getGenericSuperclass(), c.getName() + " extends", leaks);
            for (Type i : c.getGenericInterfaces()) {
                collectInternal(i, c.getName() + " implements", leaks);
            }
            for (Method m : c.getDeclaredMethods()) {
                if (visible(m.getModifiers()) && !m.isSynthetic()) {
                    members++;
                    collectSignature(m, c.getName() + "." + m.getName(), leaks);
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (visible(k.getModifiers())) {
                    members++;
                    collectSignature(k, c.getName() + ".<init>", leaks);
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (visible(f.getModifiers())) {
                    members++;
                    collectInternal(f.getGenericType(), c.getName() + "." + f.getName(), leaks);
                }
            }
        }
        assertTrue(leaks.isEmpty(), "public API members that mention internal types: " + leaks);
        // guards the scan itself: it must have seen the API, or it would pass vacuously
        Set<String> names = classes.stream().map(Class::getSimpleName).collect(Collectors.toSet());
        assertTrue(names.containsAll(Set.of("Tensor", "Autograd", "CustomOp", "GradCheck", "GradChecker")), names.toString());
        assertTrue(members > 100, "only " + members + " public members scanned");
    }

    @Test
    void theScanWouldSeeALeak() {
        // the same check on a signature that does mention an internal type must report it
        Set<String> leaks = new TreeSet<>();
        collectInternal(dev.adjoint.core.kernel.NDArray.class, "probe", leaks);
        collectInternal(dev.adjoint.core.kernel.NDArray[].class, "probe[]", leaks);
        assertEquals(2, leaks.size(), leaks.toString());
    }
}
