#!/usr/bin/env python3
# Prints README "Metrics"'s table from common/metric_names.hpp (name, type, help), for pasting after a
# metric is added; tests/common/metric_names_test.cpp fails until the README matches.
import os
import re

s = open(os.path.join(os.path.dirname(__file__), '..', 'common', 'metric_names.hpp')).read()
rows=[]
for m in re.finditer(r'inline constexpr (counter_def|gauge_def|histogram_def)\s+(\w+)\{\s*"([^"]+)",\s*((?:"[^"]*"\s*)+)\}', s):
    kind={'counter_def':'counter','gauge_def':'gauge','histogram_def':'histogram'}[m.group(1)]
    help=''.join(re.findall(r'"([^"]*)"', m.group(4)))
    rows.append((m.group(3),kind,help))
out=['| Metric | Type | Meaning |','|---|---|---|']
for n,k,h in rows: out.append(f'| `{n}` | {k} | {h} |')
print('\n'.join(out))
