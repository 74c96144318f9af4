// Which benchmark suites `npm run bench` runs: every suite by default, except the long ones
// (the 10-minute soak), which run only when named: `npm run bench -- soak`.
import { describe, expect, it } from 'vitest';
import { selectSuites } from '../../bench/harness.js';
import { suites } from '../../bench/suites/index.js';

describe('npm run bench', () => {
  it('runs every suite but the soak when none is named', () => {
    const names = selectSuites(suites, []).map((suite) => suite.name);
    expect(names).not.toContain('soak');
    expect(names).toEqual(suites.map((suite) => suite.name).filter((name) => name !== 'soak'));
  });

  it('runs the soak, alone or with others, when it is named', () => {
    expect(selectSuites(suites, ['soak']).map((suite) => suite.name)).toEqual(['soak']);
    expect(selectSuites(suites, ['soak', 'recall']).map((suite) => suite.name)).toEqual([
      'recall',
      'soak',
    ]);
  });
});
