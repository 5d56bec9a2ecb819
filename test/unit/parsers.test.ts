import { describe, expect, test } from '@jest/globals';
import { meets, parseBanditJson } from '../../shared/python/bandit.js';
import { flake8Level, parseFlake8Output } from '../../shared/python/flake8.js';
import { coveragePercent, parsePytestJUnit, rootdirFromOutput, tracebackFrames } from '../../shared/python/pytest-junit.js';
import { escapeXml, findAll, parseXml } from '../../shared/reports/xml.js';

describe('flake8 output', () => {
  test('parses the default format, including paths with colons and dots', () => {
    const out = [
      './pkg/app.py:3:1: F401 \'os\' imported but unused',
      'C:/work/x.py:10:89: E501 line too long (95 > 88 characters)',
      'some noise line',
      'pkg/sub/util.py:7:5: W291 trailing whitespace',
    ].join('\n');
    expect(parseFlake8Output(out)).toEqual([
      { path: './pkg/app.py', line: 3, column: 1, code: 'F401', message: "'os' imported but unused" },
      { path: 'C:/work/x.py', line: 10, column: 89, code: 'E501', message: 'line too long (95 > 88 characters)' },
      { path: 'pkg/sub/util.py', line: 7, column: 5, code: 'W291', message: 'trailing whitespace' },
    ]);
  });

  test('pyflakes and syntax errors are errors, style is a warning', () => {
    expect(flake8Level('F841')).toBe('error');
    expect(flake8Level('E999')).toBe('error');
    expect(flake8Level('E501')).toBe('warning');
    expect(flake8Level('W605')).toBe('warning');
  });
});

describe('bandit JSON', () => {
  const result = (severity: string, confidence: string) =>
    ({ issue_severity: severity, issue_confidence: confidence }) as Parameters<typeof meets>[0];

  test('thresholds need both severity and confidence', () => {
    expect(meets(result('HIGH', 'LOW'), 'medium', 'low')).toBe(true);
    expect(meets(result('HIGH', 'LOW'), 'medium', 'medium')).toBe(false);
    expect(meets(result('LOW', 'HIGH'), 'low', 'high')).toBe(true);
    expect(meets(result('MEDIUM', 'MEDIUM'), 'high', 'low')).toBe(false);
  });

  test('rejects what is not a bandit report', () => {
    expect(() => parseBanditJson('{"foo":1}', 'b.json')).toThrow("b.json has no 'results' list");
    expect(() => parseBanditJson('nope', 'b.json')).toThrow('b.json is not valid JSON');
    expect(parseBanditJson('{"results":[]}', 'b.json')).toEqual({ results: [], errors: [] });
  });
});

describe('xml', () => {
  test('round-trips escaped text and attributes', () => {
    const doc = parseXml(`<?xml version="1.0"?>\n<!-- c --><a x="1 &amp; 2" y='&lt;q&gt;'><b>t&#233;xt &quot;q&quot;</b><c/><![CDATA[<raw>]]></a>`);
    expect(doc.attributes).toEqual({ x: '1 & 2', y: '<q>' });
    expect(doc.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(doc.children[0].text).toBe('téxt "q"');
    expect(doc.text).toBe('<raw>');
    expect(findAll(doc, 'c')).toHaveLength(1);
    expect(escapeXml('a<b & "c"\u0001')).toBe('a&lt;b &amp; &quot;c&quot;');
  });

  test('rejects malformed documents', () => {
    expect(() => parseXml('<a><b></a>')).toThrow('Malformed XML');
    expect(() => parseXml('<a>')).toThrow('is not closed');
    expect(() => parseXml('<a/><b/>')).toThrow('one root element');
  });
});

describe('pytest reports', () => {
  const junit = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.5">
<testcase classname="tests.test_calc" name="test_ok" file="tests/test_calc.py" line="3" time="0.001"/>
<testcase classname="tests.test_calc" name="test_bad" file="tests/test_calc.py" line="7" time="0.25"><failure message="assert 3 == 4&#10; +  where 3 = add(1, 2)">def test_bad():
&gt;       assert add(1, 2) == 4
E       assert 3 == 4

tests/test_calc.py:9: AssertionError</failure></testcase>
<testcase classname="tests.test_calc" name="test_skip" file="tests/test_calc.py" line="11" time="0"><skipped type="pytest.skip" message="not today">tests/test_calc.py:12: not today</skipped></testcase>
<testcase classname="tests.test_calc" name="test_fixture" file="tests/test_calc.py" line="15" time="0.002"><error message="failed on setup with &quot;RuntimeError: no db&quot;">src/db.py:4: RuntimeError</error></testcase>
</testsuite></testsuites>`;

  test('reads outcomes, 1-based lines, messages and totals', () => {
    const { cases, totals } = parsePytestJUnit(junit);
    expect(totals).toEqual({ tests: 4, passed: 1, failed: 1, errors: 1, skipped: 1, seconds: 0.253 });
    expect(cases[1]).toMatchObject({
      id: 'tests.test_calc.test_bad',
      file: 'tests/test_calc.py',
      line: 8,
      outcome: 'failed',
      message: 'assert 3 == 4\n +  where 3 = add(1, 2)',
    });
    expect(tracebackFrames(cases[1].details!)).toEqual([{ file: 'tests/test_calc.py', line: 9, error: 'AssertionError' }]);
    expect(cases[2]).toMatchObject({ outcome: 'skipped', message: 'not today' });
  });

  test('coverage and rootdir', () => {
    expect(coveragePercent('<?xml version="1.0" ?><coverage version="7" line-rate="0.8333" branch-rate="0"></coverage>')).toBe(83.33);
    expect(() => coveragePercent('<testsuite/>')).toThrow('not a Cobertura');
    expect(rootdirFromOutput('platform linux\nrootdir: /tmp/ws, configfile: setup.cfg\ncollected')).toBe('/tmp/ws');
    expect(rootdirFromOutput('rootdir: /tmp/w s\n')).toBe('/tmp/w s');
  });
});
