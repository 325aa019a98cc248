#!/usr/bin/env python3
"""Decodes the machine code HotSpot prints as hex (-XX:CompileCommand=print,...) when no working
disassembler plugin is installed (Debian's libhsdis0-fcml exports an API JDK 17 does not call).

Usage:
  java -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=quiet \\
       -XX:CompileCommand=print,dev.adjoint.core.kernel.VectorMathKernel::expLoop ... > run.txt
  bench/decode-asm.py run.txt 'VectorMathKernel::expLoop'      # the last C2 compile, not an OSR one

Prints objdump's disassembly (needs binutils). Addresses are offsets from the method's entry.
"""
import re
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, method = sys.argv[1], sys.argv[2]
    lines = open(path, errors="replace").read().split("\n")
    starts = [i for i, l in enumerate(lines)
              if l.startswith("Compiled method (c2)") and (method + " (") in l and " % " not in l]
    if not starts:
        sys.exit(f"no C2 compile of {method} in {path}")
    code = bytearray()
    base = None
    for line in lines[starts[-1] + 1:]:
        if line.startswith(("[Stub Code]", "[Exception Handler]", "Compiled method")):
            break
        m = re.match(r"\s+0x([0-9a-f]+): ([0-9a-f |]+?)\s*(;.*)?$", line)
        if not m:
            continue
        words = [w for w in re.split(r"[\s|]+", m.group(2)) if re.fullmatch(r"[0-9a-f]{2,4}", w)]
        if not words:
            continue
        address = int(m.group(1), 16)
        base = address if base is None else base
        code += b"\x90" * max(0, address - base - len(code))
        for w in words:
            code += bytes.fromhex(w)
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", f.name], check=True)


if __name__ == "__main__":
    main()
