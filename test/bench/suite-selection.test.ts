// Which benchmark suites `npm run bench` runs: every suite by default, except the long ones
// (the 10-minute soak, the scale run of 100k–1M rows), which run only when named:
// `npm run bench -- soak`, `npm run bench -- scale`.
import { describe, expect, it } from 'vitest';
import { selectSuites } from '../../bench/harness.js';
import { suites } from '../../bench/suites/index.js';

describe('npm run bench', () => {
  it('runs every suite but the long ones when none is named', () => {
    const names = selectSuites(suites, []).map((suite) => suite.name);
    expect(names).not.toContain('soak');
    expect(names).not.toContain('scale');
    expect(names).toEqual(
      suites.map((suite) => suite.name).filter((name) => name !== 'soak' && name !== 'scale'),
    );
  });

  it('runs the soak, alone or with others, when it is named', () => {
    expect(selectSuites(suites, ['soak']).map((suite) => suite.name)).toEqual(['soak']);
    expect(selectSuites(suites, ['soak', 'recall']).map((suite) => suite.name)).toEqual([
      'recall',
      'soak',
    ]);
  });
});
