"""Variants of a mod file that stress a reader of NMODL, from a seeded RNG.

Each transform takes the text (str; bytes that are not UTF-8 kept as
surrogates) and a random.Random and returns a new text. Some variants are
mods nocmodl refuses (lower-case keywords, a backslash continuation,
non-ASCII outside COMMENT): those check that gliad then says so at a line.
Deterministic: the same seed gives the same variants on every machine.
"""
import re

NEURON_KEYWORDS = ("SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL", "USEION", "RANGE", "GLOBAL",
                   "NONSPECIFIC_CURRENT", "ELECTRODE_CURRENT", "POINTER", "BBCOREPOINTER",
                   "EXTERNAL", "THREADSAFE", "REPRESENTS")
NAME_KEYWORDS = ("SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL")
DECOYS = ("SUFFIX decoy", "NEURON { SUFFIX decoy }", "{", "}", "ENDCOMMENT later",
          "POINT_PROCESS fake", "\"", "USEION zz READ zzi VALENCE 9")
UNICODE = ("µ", "é", "—", "🧠", "Ω", "ü")


# ---- a reader of the top level: enough to cut a mod into its blocks ----

def _scan(text):
    """Yields (line_start_offset, depth, raw) for every line start, where raw
    says the line is inside a COMMENT or VERBATIM body (or a string)."""
    depth, i, n, raw_end, in_string = 0, 0, len(text), None, False
    line_start = True
    while i < n:
        if line_start:
            yield i, depth, raw_end is not None or in_string
            line_start = False
            if raw_end is not None:
                if re.match(r"[ \t]*%s(?![A-Za-z])" % raw_end, text[i:i + 40]):
                    raw_end = None
                j = text.find("\n", i)
                i = n if j < 0 else j + 1
                line_start = True
                continue
        c = text[i]
        if in_string:
            in_string = c != '"'
        elif c == '"':
            in_string = True
        elif c in ":?":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif c.isalpha() or c == "_":
            m = re.match(r"\w+", text[i:])
            word = m.group(0)
            if word in ("COMMENT", "VERBATIM"):
                raw_end = "ENDCOMMENT" if word == "COMMENT" else "ENDVERBATIM"
                j = text.find("\n", i)
                i = n if j < 0 else j + 1
                line_start = True
                continue
            if word == "TITLE":
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            i += len(word)
            continue
        if c == "\n":
            line_start = True
        i += 1


def segments(text):
    """The mod cut at every line that starts at the top level: each segment
    is a block (with its trailing lines) or a top-level statement."""
    cuts = [off for off, depth, raw in _scan(text) if depth == 0 and not raw]
    cuts = [0] + [c for c in cuts if c > 0] + [len(text)]
    segs = [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    # Lines that only continue a statement (blank, comment) join the one before.
    out = []
    for s in segs:
        if out and not re.match(r"\s*[A-Za-z_]", s.split("\n")[0]) and s.strip()[:1] not in ("{",):
            out[-1] += s
        else:
            out.append(s)
    return out


def _is_neuron(seg):
    return re.match(r"\s*NEURON\s*\{", seg) is not None


def _first_word(seg):
    m = re.match(r"\s*(\w+)", seg)
    return m.group(1) if m else ""


# ---- the NEURON block as statements ----

_TOKEN = re.compile(r"[A-Za-z_]\w*|[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?|\S")


def _strip_comments(body):
    body = re.sub(r"(?ms)^[ \t]*COMMENT\b.*?^[ \t]*ENDCOMMENT[^\n]*", " ", body)
    return re.sub(r"[:?][^\n]*", " ", body)


def neuron_statements(seg):
    """The statements of one NEURON block, each a list of tokens; None when
    the block holds something this simple reader would mangle."""
    if "REPRESENTS" in seg or "VERBATIM" in seg:
        return None
    body = seg[seg.index("{") + 1: seg.rindex("}")]
    tokens = _TOKEN.findall(_strip_comments(body))
    stmts = []
    for t in tokens:
        if t in NEURON_KEYWORDS or not stmts:
            stmts.append([t])
        else:
            stmts[-1].append(t)
    return stmts


def _render(stmts, rng, sep=" "):
    parts = [sep.join(st) for st in stmts]
    return "NEURON {\n    " + "\n    ".join(parts) + "\n}\n"


def _neuron_index(segs):
    idx = [i for i, s in enumerate(segs) if _is_neuron(s)]
    return idx


# ---- transforms ----

def reorder_blocks(text, rng):
    segs = segments(text)
    rng.shuffle(segs)
    return "".join(s if s.endswith("\n") else s + "\n" for s in segs)


def drop_optional_block(text, rng):
    """Without one block the declarations do not need (without its PARAMETER
    block, a mod nocmodl still takes registers GLOBALs by rules of its own)."""
    segs = segments(text)
    optional = [i for i, s in enumerate(segs)
                if not _is_neuron(s) and _first_word(s) in (
                    "TITLE", "COMMENT", "UNITS", "INITIAL", "VERBATIM", "UNITSON",
                    "UNITSOFF", "INDEPENDENT", "CONSTANT", "DERIVATIVE", "KINETIC",
                    "PROCEDURE", "FUNCTION", "NET_RECEIVE", "BREAKPOINT")]
    if optional:
        del segs[rng.choice(optional)]
    return "".join(segs)


def no_neuron_block(text, rng):
    return "".join(s for s in segments(text) if not _is_neuron(s))


def several_neuron_blocks(text, rng):
    segs = segments(text)
    for i in _neuron_index(segs):
        stmts = neuron_statements(segs[i])
        if not stmts or len(stmts) < 2:
            continue
        k = rng.randint(2, min(3, len(stmts)))
        cuts = sorted(rng.sample(range(1, len(stmts)), k - 1))
        groups = [stmts[a:b] for a, b in zip([0] + cuts, cuts + [len(stmts)])]
        blocks = [_render(g, rng) for g in groups]
        segs[i] = blocks[0]
        # The later ones go elsewhere in the file.
        for b in blocks[1:]:
            segs.insert(rng.randint(0, len(segs)), b)
    return "".join(s if s.endswith("\n") else s + "\n" for s in segs)


def _rewrite_neuron_blocks(text, rng, rewrite):
    """Each NEURON block replaced by rewrite(statements) (a block's text)."""
    segs = segments(text)
    for i in _neuron_index(segs):
        stmts = neuron_statements(segs[i])
        if stmts:
            segs[i] = rewrite(stmts)
    return "".join(segs)


def shuffle_neuron_statements(text, rng):
    def shuffled(stmts):
        rng.shuffle(stmts)
        return _render(stmts, rng)
    return _rewrite_neuron_blocks(text, rng, shuffled)


def continuation_lines(text, rng):
    """Statements spread over lines; now and then a backslash, which nocmodl refuses."""
    def spread(stmts):
        sep = rng.choice(["\n      ", "\n", " \n\t", "\n\n  "])
        return _render(stmts, rng, " \\\n  " if rng.random() < 0.1 else sep)
    return _rewrite_neuron_blocks(text, rng, spread)


def odd_spacing(text, rng):
    """Tabs, runs of spaces, no space before '{'; a form feed, which nocmodl
    does not take for a space (gliad does: nocmodl refuses it, at its line)."""
    def spaced(stmts):
        body = _render(stmts, rng, rng.choice(["\t", "   ", " \t ", "\f"]))
        if rng.random() < 0.5:
            body = body.replace("NEURON {\n", "NEURON{", 1).replace("\n}", "}", 1)
        return body
    return _rewrite_neuron_blocks(text, rng, spaced)


def odd_case(text, rng):
    """One keyword in another case: NMODL keywords are case-sensitive, so
    nocmodl takes it as a name (and mostly refuses the mod)."""
    words = [m for m in re.finditer(r"\b(NEURON|SUFFIX|POINT_PROCESS|USEION|RANGE|GLOBAL|"
                                    r"PARAMETER|READ|WRITE|VALENCE|FUNCTION|PROCEDURE)\b", text)]
    if not words:
        return text
    m = rng.choice(words)
    w = m.group(0)
    w = rng.choice([w.lower(), w.capitalize(), w[0] + w[1:].lower()])
    return text[:m.start()] + w + text[m.end():]


def _line_ends(text):
    return [m.start() for m in re.finditer(r"\n", text)]


def _comment_block(rng, body):
    """COMMENT ... ENDCOMMENT: the rest of both keywords' lines is comment too."""
    return "COMMENT %s\n%s\n  ENDCOMMENT %s\n" % (rng.choice(["", rng.choice(DECOYS)]), body,
                                                rng.choice(["", rng.choice(DECOYS)]))


def _between_blocks(text, rng, insert):
    """insert placed between two top-level blocks (nocmodl takes a COMMENT
    there or inside a PROCEDURE's statements, not inside NEURON or PARAMETER)."""
    segs = segments(text)
    at = rng.randint(0, len(segs))
    if at > 0 and not segs[at - 1].endswith(("\n", "\r")):
        insert = "\n" + insert
    segs.insert(at, insert)
    return "".join(segs)


def comments_in_odd_places(text, rng):
    out = text
    for _ in range(rng.randint(1, 4)):
        ends = _line_ends(out)
        if not ends:
            break
        if rng.random() < 0.5:
            at = rng.choice(ends)
            out = out[:at] + " %s %s" % (rng.choice(":?"), rng.choice(DECOYS)) + out[at:]
        else:
            out = _between_blocks(out, rng, _comment_block(rng, rng.choice(DECOYS)))
    return out


def verbatim_in_odd_places(text, rng):
    body = "VERBATIM %s\n/* %s */\n#define GLIA_DIFF 1\n  ENDVERBATIM %s\n" % (
        rng.choice(DECOYS), rng.choice(DECOYS), rng.choice(DECOYS))
    return _between_blocks(text, rng, body)


def unicode_in_comments(text, rng):
    """Non-ASCII text: in COMMENT bodies nocmodl takes it; after ':' or in a
    TITLE it refuses the mod (and names the line before)."""
    out = text
    for _ in range(rng.randint(1, 3)):
        u = rng.choice(UNICODE)
        if rng.random() < 0.8:
            out = _between_blocks(out, rng, _comment_block(rng, "  %s %s" % (u, rng.choice(DECOYS))))
            continue
        ends = _line_ends(out)
        if ends:
            at = rng.choice(ends)
            out = out[:at] + " : %s" % u + out[at:]
    return out


def crlf(text, rng):
    return text.replace("\r\n", "\n").replace("\n", rng.choice(["\r\n", "\r\n", "\r"]))


def extra_name_statement(text, rng):
    """A second name statement before the first: nocmodl takes the last."""
    m = re.search(r"\b(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\b", text)
    if not m:
        return text
    kw = rng.choice(NAME_KEYWORDS) if rng.random() < 0.2 else m.group(0)
    return text[:m.start()] + "%s decoy_name " % kw + text[m.start():]


def suffix_nothing(text, rng):
    return re.sub(r"\bSUFFIX\s+\w+", "SUFFIX nothing", text, count=1)


def valence_forms(text, rng):
    def one(m):
        v = rng.choice(["2", "-1", "- 2", "+2", "2.0", "1e0", "0"])
        return m.group(0) + " VALENCE " + v
    if re.search(r"\bVALENCE\b", text) and rng.random() < 0.5:
        return re.sub(r"\bVALENCE\s*(-?)\s*", lambda m: "VALENCE %s " % m.group(1), text)
    return re.sub(r"\bUSEION\s+\w+(\s+(READ|WRITE)\s+\w+(\s*,\s*\w+)*)+", one, text, count=1)


TRANSFORMS = {
    "reorder": reorder_blocks,
    "drop_block": drop_optional_block,
    "no_neuron": no_neuron_block,
    "several_neuron": several_neuron_blocks,
    "shuffle_neuron": shuffle_neuron_statements,
    "continuation": continuation_lines,
    "spacing": odd_spacing,
    "case": odd_case,
    "comments": comments_in_odd_places,
    "verbatim": verbatim_in_odd_places,
    "unicode": unicode_in_comments,
    "crlf": crlf,
    "extra_name": extra_name_statement,
    "nothing": suffix_nothing,
    "valence": valence_forms,
}


def variant(text, rng):
    """One to three transforms, in a random order; returns (labels, text)."""
    names = rng.sample(sorted(TRANSFORMS), rng.randint(1, 3))
    for n in names:
        text = TRANSFORMS[n](text, rng)
    return names, text
