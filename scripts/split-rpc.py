#!/usr/bin/env python3
"""Splits protocol/src/rpc.ts into protocol/src/rpc/ by domain, as a pure move.

Run from the repository root: python3 scripts/split-rpc.py && npx prettier --write protocol/src/rpc
Layout made:
  rpc/shapes.ts       what rpc.ts declares before the table (result shapes: scan, sync status, session state, ...)
  rpc/helpers.ts      the table's shared params/results (nothing, ok, eventIdParams)
  rpc/<domain>.ts     one section of the table each: a `// <domain>` comment run opens a section
                      (session, events, bookings, imports, checkin, sync, admin, profile, photos, and any new one)
  rpc/index.ts        rpcMethods = the sections spread in their order, then everything rpc.ts declares after
                      the table (types, topics, frames, GatehouseBridge, host constants), unchanged
Each file imports exactly the names of rpc.ts's imports (and of shapes/helpers) that its text uses.
"""
import re
import sys
from pathlib import Path

SRC = Path('protocol/src/rpc.ts')
OUT = Path('protocol/src/rpc')
text = SRC.read_text()
lines = text.split('\n')

# --- imports of rpc.ts: (names with their `type` marks, module), kept as they were written
imports = []  # (name, is_type, module)
import_re = re.compile(r"^import (type )?\{([^}]*)\} from '([^']+)';", re.S)
body_start = 0
i = 0
while i < len(lines):
    if lines[i].startswith('import '):
        j = i
        while not lines[j].rstrip().endswith(';'):
            j += 1
        stmt = '\n'.join(lines[i:j + 1])
        m = import_re.match(stmt)
        if not m:
            sys.exit(f'unexpected import: {stmt}')
        whole_type = bool(m.group(1))
        for raw in m.group(2).split(','):
            raw = raw.strip()
            if not raw:
                continue
            is_type = whole_type or raw.startswith('type ')
            imports.append((raw.replace('type ', '').strip(), is_type, m.group(3)))
        i = j + 1
        body_start = i
    elif lines[i].strip() == '':
        i += 1
    else:
        break

rest = '\n'.join(lines[body_start:])
table_open = rest.index('export const rpcMethods = {')
table_close_m = re.search(r'^\} as const satisfies [^\n]*;\n', rest[table_open:], re.M)
table_close = table_open + table_close_m.start()
before = rest[:table_open]
table_body = rest[table_open + len('export const rpcMethods = {\n'):table_close]
satisfies_line = table_close_m.group(0).strip()
after = rest[table_close + len(table_close_m.group(0)):]

# --- the file's own doc (a /** */ block first in the body, then a blank line) heads index.ts
file_doc = ''
lead = re.match(r'\s*(/\*\*(?:(?!\*/).)*\*/)\n\n', before, re.S)
if lead:
    file_doc = lead.group(1) + '\n'
    before = before[lead.end():]

# --- helpers: the `const x = ...;` lines right before the table (not exported)
helper_re = re.compile(r'^const (\w+) = [^\n]*;\n', re.M)
helpers = helper_re.findall(before)
helpers_text = ''.join(m.group(0) for m in helper_re.finditer(before))
shapes_text = helper_re.sub('', before)
# The table's doc comment (the last /** */ before the helpers) goes with the table in index.ts.
doc_m = list(re.finditer(r'/\*\*(?:(?!\*/).)*\*/\n', shapes_text, re.S))
table_doc = ''
if doc_m and shapes_text[doc_m[-1].end():].strip() == '':
    table_doc = doc_m[-1].group(0)
    shapes_text = shapes_text[:doc_m[-1].start()]
shapes_text = shapes_text.strip() + '\n'
shape_names = re.findall(r'^export (?:const|type) (\w+)', shapes_text, re.M)

# --- sections of the table: a run of `  // ` lines after a non-comment line opens one
sections = []  # (domain, text)
current = None
prev_comment = False
for line in table_body.split('\n'):
    is_comment = line.startswith('  // ')
    if is_comment and not prev_comment:
        word = re.match(r'  // ([A-Za-z-]+)', line).group(1).replace('-', '').lower()
        # A domain met again (a block added later under its own comment) joins its first section's file.
        current = next((section for section in sections if section[0] == word), None)
        if current is None:
            current = [word, []]
            sections.append(current)
    prev_comment = is_comment
    if current is None:
        if line.strip():
            sys.exit('table entries before the first `// domain` comment')
        continue
    current[1].append(line)

def camel(word):
    return word + 'Rpc'

def code_only(body):
    # Names in comments are not uses: drop block and line comments (strings here hold no comment marks).
    body = re.sub(r'/\*.*?\*/', ' ', body, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', body)

def uses(body, name):
    body = code_only(body)
    return re.search(r'(?<![\w.$])' + re.escape(name) + r'(?![\w$])', body) is not None

def import_lines(body, here_is_index=False, extra_local=()):
    by_module = {}
    for name, is_type, module in imports:
        if uses(body, name):
            by_module.setdefault('../' + module[2:] if module.startswith('./') else module, []).append((name, is_type))
    for module, names in extra_local:
        for name in names:
            if uses(body, name):
                by_module.setdefault(module, []).append((name, False))
    out = []
    for module, names in by_module.items():
        if all(t for _, t in names):
            out.append(f"import type {{ {', '.join(n for n, _ in names)} }} from '{module}';")
        else:
            out.append(f"import {{ {', '.join(('type ' if t else '') + n for n, t in names)} }} from '{module}';")
    return '\n'.join(out)

OUT.mkdir(exist_ok=True)
files = {}
shape_types = set(re.findall(r'^export type (\w+)', shapes_text, re.M))
files['shapes.ts'] = (
    import_lines(shapes_text)
    + '\n\n/** The shapes the RPC table (rpc/index.ts) answers with, beside the domains\' own schemas. */\n\n'
    + shapes_text
)
files['helpers.ts'] = (
    import_lines(helpers_text)
    + '\n\n/** Params and results several sections of the RPC table share. */\n'
    + helper_re.sub(lambda m: 'export ' + m.group(0), helpers_text)
)
local = [('./shapes', [n for n in shape_names if n not in shape_types]), ('./helpers', helpers)]
domain_files = []
for domain, body_lines in sections:
    body = '\n'.join(body_lines).rstrip() + '\n'
    name = camel(domain)
    head = import_lines(body, extra_local=local)
    files[f'{domain}.ts'] = (
        head
        + f"\n\n/** The {domain} methods of the RPC table (rpc/index.ts `rpcMethods`). */\n"
        + f'export const {name} = {{\n{body}}} {satisfies_line.replace("} ", "", 1).rstrip(";")};\n'
    )
    domain_files.append((domain, name))

index_body = (
    file_doc
    + table_doc
    + 'export const rpcMethods = {\n'
    + ''.join(f'  ...{name},\n' for _, name in domain_files)
    + satisfies_line + '\n'
    + after
)
index_imports = import_lines(index_body, extra_local=[('./shapes', shape_names)])
files['index.ts'] = (
    index_imports + '\n'
    + ''.join(f"import {{ {name} }} from './{domain}';\n" for domain, name in domain_files)
    + "\nexport * from './shapes';\n\n"
    + index_body
)
# The `z` import is needed wherever `z.` is used (import_lines finds it by name).
for file, content in files.items():
    (OUT / file).write_text(content)
SRC.unlink()
print('wrote', ', '.join(sorted(files)))

# --- references to the old file in docs and comments
REFS = [
    ('docs/ARCHITECTURE.md', 'one zod table, `protocol/src/rpc.ts`',
     'one zod table, `protocol/src/rpc/` (a file per domain, joined in its `index.ts`)'),
    ('docs/ARCHITECTURE.md', 'through the typed RPC client (`protocol/src/rpc.ts`)',
     'through the typed RPC client (`protocol/src/rpc/`)'),
    ('docs/ARCHITECTURE.md', 'is declared in `protocol/src/rpc.ts`',
     "is declared in its domain's file of `protocol/src/rpc/`"),
    ('README.md', '`GatehouseBridge` in\n  `protocol/src/rpc.ts`', '`GatehouseBridge` in\n  `protocol/src/rpc/index.ts`'),
    ('renderer/src/checkin/checkinStore.ts', 'protocol/src/rpc.ts', 'protocol/src/rpc/checkin.ts'),
    ('renderer/src/attendees/WalkInForm.tsx', '(protocol rpc.ts)', '(protocol rpc/bookings.ts)'),
    ('renderer/src/session/SignInScreen.tsx', '(protocol rpc.ts)', '(protocol rpc/session.ts)'),
]
for file, old, new in REFS:
    path = Path(file)
    content = path.read_text()
    if old in content:
        path.write_text(content.replace(old, new))
    else:
        print(f'note: {file}: no "{old[:40]}…" (reworded since?)')
