package dev.adjoint.core.kernel;

import java.lang.System.Logger.Level;

/**
 * Picks the kernels once per JVM, the matrix multiply ({@link GemmKernel}) and the elementwise
 * math ({@link MathKernel}) together: the Vector API kernels when the incubator module
 * {@code jdk.incubator.vector} is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}), the scalar ones otherwise. When the scalar kernels
 * are chosen, the choice and the reason are logged as one INFO line of the
 * {@code dev.adjoint.core.kernel} {@link System.Logger} on first use (the first product or
 * elementwise run big enough to need them; tiny graphs never do). The vector kernels log their
 * line only with {@code -Dadjoint.logKernels=true}: the logging system's first use is a sizeable
 * part of a fresh JVM's first large product (bench/RESULTS.md, "Cold start").
 *
 * <p>The system property {@code adjoint.vector=false} ({@code -Dadjoint.vector=false}) forces the
 * scalar kernels even when the module is present. (The number of threads of large products is the
 * other property of the kernels, {@code adjoint.threads}: see {@link ParallelGemm}.)
 *
 * <p>The choice decides the bits of large products: the vector kernel fuses each multiply-add, the
 * scalar one fuses groups of four where the CPU has an FMA instruction (HotSpot's {@code UseFMA})
 * and fuses nothing where it does not. Within one choice the bits do not depend on the thread
 * count or the tile height.
 */
final class KernelProvider {
    /** Name of the system property that can switch the vector kernel off. */
    static final String PROPERTY = "adjoint.vector";
    /** Name of the system property that logs the kernels' line even when the vector ones are chosen. */
    static final String LOG_PROPERTY = "adjoint.logKernels";
    static final String MODULE = "jdk.incubator.vector";

    private KernelProvider() {
    }

    /** The kernel chosen for this JVM; decided (and logged, where the class comment says) on first call. */
    static GemmKernel kernel() {
        return Holder.KERNEL;
    }

    /** The float32 twin of {@link #kernel()}: vector exactly when it is. */
    static FloatGemmKernel floatKernel() {
        return FloatHolder.KERNEL;
    }

    /** The float32 matmul kernel that goes with a float64 one (default tile and FMA choice). */
    static FloatGemmKernel floatKernelFor(GemmKernel kernel) {
        // NOTE: the only reference to FloatVectorGemmKernel, reached only with the vector module
        return kernel instanceof VectorGemmKernel ? new FloatVectorGemmKernel() : new FloatScalarGemmKernel();
    }

    /** The elementwise math chosen with {@link #kernel()}: vector exactly when the matmul kernel is. */
    static MathKernel math() {
        return Holder.MATH;
    }

    /** The plain-Java math kernel, for runs too short for {@link #math()} (it holds no state). */
    private static final MathKernel SCALAR_MATH = new ScalarMathKernel();

    /**
     * The kernel for a run of {@code n} elements of an exact function (a selection, whose bits both
     * kernels share): {@link #math()} from {@link MathKernel#MIN_LENGTH} on, the plain-Java one below,
     * so that short runs need no loop of their own and tiny graphs never load the vector kernel.
     */
    static MathKernel exactFor(int n) {
        return n >= MathKernel.MIN_LENGTH ? math() : SCALAR_MATH;
    }

    /** The math kernel that goes with a matmul kernel. */
    static MathKernel mathFor(GemmKernel kernel) {
        // NOTE: the only reference to VectorMathKernel, reached only when the vector matmul kernel
        // (and so the module) is in use.
        return kernel instanceof VectorGemmKernel ? new VectorMathKernel() : new ScalarMathKernel();
    }

    /** Whether the Vector API module is present in the boot layer. */
    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /** The vector kernel, or null when this JVM cannot run it (module absent, or vectors too narrow). */
    static GemmKernel vectorKernelOrNull() {
        if (!vectorModulePresent()) {
            return null;
        }
        try {
            // NOTE: with withoutFma (which runs only after this has returned a kernel), the only
            // reference to VectorGemmKernel: its class (and jdk.incubator.vector) is not loaded
            // unless this line runs.
            return VectorGemmKernel.lanes() >= 2 ? new VectorGemmKernel() : null;
        } catch (LinkageError e) {
            return null;
        }
    }

    /**
     * The kernel to use: the vector one if {@code vectorAllowed} and this JVM can run it, else
     * the scalar one; {@code reason} receives why the scalar one was chosen.
     */
    static GemmKernel select(boolean vectorAllowed, StringBuilder reason) {
        if (!vectorAllowed) {
            reason.append("vector kernel disabled by -D" + PROPERTY + "=false");
            return new ScalarGemmKernel();
        }
        GemmKernel vector = vectorKernelOrNull();
        if (vector != null && withoutFma()) {
            // the vector kernels' multiply-adds (the products' and exp's) would run in software,
            // far slower than these scalar loops (bench/RESULTS.md, "Rules in the kernels")
            reason.append("this x86 JVM runs without AVX (128-bit vectors), so without the FMA instruction the vector"
                    + " kernels need");
            return new ScalarGemmKernel();
        }
        if (vector != null) {
            return vector;
        }
        reason.append(vectorModulePresent()
                ? "the Vector API is present but its vectors are too narrow on this CPU"
                : "start the JVM with --add-modules " + MODULE + " for the faster vector kernel");
        return new ScalarGemmKernel();
    }

    /**
     * Whether the vector kernels would lack a hardware FMA: an x86 JVM whose vectors of doubles are
     * 128 bits runs without AVX (an old CPU, an emulator without it, {@code -XX:UseAVX=0}), and FMA
     * needs AVX. Read from the vector width, which costs nothing; asking HotSpot's {@code UseFMA}
     * loads the management classes into every cold start. CPUs with AVX but no FMA are not caught.
     */
    private static boolean withoutFma() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86") || arch.equals("i386");
        return x86 && VectorGemmKernel.lanes() <= 2;
    }

    // Initialization-on-demand: the choice happens once, lazily, without locking on later calls.
    private static final class Holder {
        static final GemmKernel KERNEL = choose();
        static final MathKernel MATH = mathFor(KERNEL);

        private static GemmKernel choose() {
            StringBuilder reason = new StringBuilder();
            GemmKernel k = select(Boolean.parseBoolean(System.getProperty(PROPERTY, "true")), reason);
            if (reason.length() > 0 || Boolean.getBoolean(LOG_PROPERTY)) {
                System.getLogger("dev.adjoint.core.kernel").log(Level.INFO, "Adjoint kernels: matmul " + k.description()
                        + ", elementwise " + mathFor(k).description() + (reason.length() == 0 ? "" : "; " + reason));
            }
            return k;
        }
    }

    // Apart from Holder: float64-only programs never load the float32 kernel classes.
    private static final class FloatHolder {
        static final FloatGemmKernel KERNEL = choose();

        private static FloatGemmKernel choose() {
            FloatGemmKernel k = floatKernelFor(Holder.KERNEL);
            // the float64 line has said why, if these are the scalar kernels
            if (Boolean.getBoolean(LOG_PROPERTY)) {
                System.getLogger("dev.adjoint.core.kernel").log(Level.INFO, "Adjoint kernels: float32 matmul " + k.description());
            }
            return k;
        }
    }
}
