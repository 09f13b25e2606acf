# Measurement only: what lol_html would weigh if only UTF-8 reached
# encoding_rs. Copies encoding_rs 0.8.44 from cargo's registry to DEST and
# replaces every arm of `VariantDecoder`/`VariantEncoder` dispatch
# (src/variant.rs) other than UTF-8's with `unreachable!()`, so the legacy
# decoders and encoders, and the tables only they read, are no longer
# reachable. Then build bench/floor with
#   --config 'patch.crates-io.encoding_rs.path="DEST"'
# (docs/BENCHMARKS.md, "Floors, stop 15"). Not for a shipped worker: any
# other charset would panic.
#   python3 patch.py DEST
import glob, re, shutil, sys

dest = sys.argv[1]
src = glob.glob(f"{glob.os.path.expanduser('~')}/.cargo/registry/src/*/encoding_rs-0.8.44")[0]
shutil.rmtree(dest, ignore_errors=True)
shutil.copytree(src, dest)
path = f"{dest}/src/variant.rs"
lines = open(path).read().split("\n")
arm = re.compile(r"^(\s*)((?:Variant(?:Decoder|Encoder)::\w+\([^)]*\)\s*\|?\s*)+)=>")


def ends_arm(line, indent):
    """The next arm, or the end of the match: a line at the arm's
    indentation starting another pattern, or any line indented less."""
    if not line.strip():
        return False
    lead = len(line) - len(line.lstrip(" "))
    if lead < len(indent):
        return True
    return lead == len(indent) and re.match(r"(Variant|_ =>|\})", line.strip()) is not None


out, i, cut = [], 0, 0
while i < len(lines):
    m = arm.match(lines[i])
    names = re.findall(r"Variant(?:Decoder|Encoder)::(\w+)", m.group(2)) if m else []
    if m and "Utf8" not in names:
        indent = m.group(1)
        j = i + 1
        # the arm runs until the next line at its indentation that starts
        # another arm or closes the match
        if lines[i].rstrip().endswith("{"):
            # a block arm: through its closing brace at the arm's indentation
            while lines[j].rstrip() not in (indent + "}", indent + "},"):
                j += 1
            j += 1
        else:
            while j < len(lines) and not ends_arm(lines[j], indent):
                j += 1
        pats = " | ".join(re.sub(r"\([^)]*\)", "(_)", p.strip()) for p in m.group(2).split("|") if p.strip())
        out.append(f"{indent}{pats} => unreachable!(),")
        cut += 1
        i = j
        continue
    out.append(lines[i])
    i += 1
open(path, "w").write("\n".join(out))
print(f"{cut} arms cut in {path}")
