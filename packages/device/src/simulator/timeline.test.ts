import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEVER_RESPONSE } from './physiology.js';
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from './scenarios.js';
import { createCourse, resolveCourse } from './timeline.js';
import { VITAL_METRICS, type VitalValues } from './vital-signs.js';

const BASELINE: VitalValues = {
  'heart-rate': 70,
  'respiratory-rate': 15,
  spo2: 97,
  'body-temperature': 36.8,
  'bp-systolic': 120,
  'bp-diastolic': 75,
};
const HR = 0;
const RR = 1;
const SPO2 = 2;
const T = 3;
const MINUTE = 60_000;

describe('resolveCourse', () => {
  it('turns a single scenario into a one-phase timeline with its timing', () => {
    expect(resolveCourse('deteriorating')).toEqual({
      scenario: { name: 'deteriorating', startAfterMs: 60_000, rampMs: 900_000 },
      timeline: [{ name: 'deteriorating', kind: 'acute', atMs: 60_000, rampMs: 900_000, consciousness: 'A' }],
    });
    expect(resolveCourse({ name: 'copd' }, { rampMs: 5 }).timeline).toEqual([
      { name: 'copd', kind: 'chronic', atMs: 0, rampMs: 5, consciousness: 'A' },
    ]);
  });

  it('resolves a timeline; its headline is the first phase that is not stable', () => {
    const course = resolveCourse(
      {
        timeline: [
          { name: 'stable', atMs: 0 },
          { name: 'fever', atMs: 10, consciousness: 'V' },
          { name: 'recovery', atMs: 20, rampMs: 7 },
        ],
      },
      { rampMs: 3 },
    );
    expect(course.scenario).toEqual({ name: 'fever', startAfterMs: 10, rampMs: 3 });
    expect(course.timeline.map((p) => [p.name, p.atMs, p.rampMs, p.consciousness])).toEqual([
      ['stable', 0, 3, 'A'],
      ['fever', 10, 3, 'V'],
      ['recovery', 20, 7, 'A'],
    ]);
    expect(resolveCourse({ timeline: [{ name: 'stable', atMs: 5 }] }).scenario).toEqual({
      name: 'stable',
      startAfterMs: 0,
      rampMs: 0,
    });
  });
});

describe('createCourse', () => {
  it('follows a single scenario like scenarioMean, labelled stable before it begins', () => {
    const course = createCourse(BASELINE, resolveCourse('deteriorating').timeline);
    const before = course.at(30_000);
    expect(before).toMatchObject({ phase: 'stable', phaseIndex: -1, phaseProgress: 1, consciousness: 'A' });
    expect([...before.means]).toEqual(VITAL_METRICS.map((m) => BASELINE[m]));
    const half = course.at(60_000 + 450_000);
    expect(half).toMatchObject({ phase: 'deteriorating', phaseIndex: 0, phaseProgress: 0.5 });
    expect(half.means[HR]).toBeCloseTo((70 + 118) / 2, 10);
    expect(half.means[T]).toBeCloseTo((36.8 + 38.7) / 2, 10);
  });

  it('adds the fever response for the vital signs a febrile phase does not set', () => {
    const course = createCourse(
      BASELINE,
      resolveCourse({ name: 'fever', startAfterMs: 0, rampMs: 0 }).timeline,
    );
    const s = course.at(1);
    expect(s.means[T]).toBe(39);
    expect(s.means[HR]).toBeCloseTo(70 + FEVER_RESPONSE.heartRatePerDegC * 2.2, 10);
    expect(s.means[RR]).toBeCloseTo(15 + FEVER_RESPONSE.respiratoryRatePerDegC * 2.2, 10);
    // Deteriorating sets HR and RR itself: its targets are totals.
    const sepsis = createCourse(
      BASELINE,
      resolveCourse({ name: 'deteriorating', startAfterMs: 0, rampMs: 0 }).timeline,
    );
    expect(sepsis.at(1).means[HR]).toBe(118);
  });

  it('applies chronic conditions to the baseline the acute phases act on, and recovery returns to it', () => {
    const course = createCourse(
      BASELINE,
      resolveCourse({
        timeline: [
          { name: 'copd', atMs: 0 },
          { name: 'fever', atMs: 10 * MINUTE, rampMs: 0 },
          { name: 'recovery', atMs: 20 * MINUTE, rampMs: 10 * MINUTE },
          { name: 'atrial-fibrillation', atMs: 40 * MINUTE },
        ],
      }).timeline,
    );
    const copd = course.at(MINUTE);
    expect(copd).toMatchObject({ phase: 'stable', conditions: ['copd'], spo2Scale: 2, rhythm: 'sinus' });
    expect(copd.means[SPO2]).toBe(90);
    expect(copd.means[RR]).toBe(18);
    const febrile = course.at(15 * MINUTE);
    expect(febrile.phase).toBe('fever');
    expect(febrile.means[SPO2]).toBe(90);
    expect(febrile.means[RR]).toBeCloseTo(18 + FEVER_RESPONSE.respiratoryRatePerDegC * 2.2, 10);
    const halfway = course.at(25 * MINUTE);
    expect(halfway).toMatchObject({ phase: 'recovery', phaseIndex: 2, phaseProgress: 0.5 });
    expect(halfway.means[T]).toBeCloseTo((39 + 36.8) / 2, 10);
    const recovered = course.at(35 * MINUTE);
    expect([...recovered.means]).toEqual([70, 18, 90, 36.8, 120, 75]);
    const af = course.at(45 * MINUTE);
    expect(af).toMatchObject({
      conditions: ['copd', 'atrial-fibrillation'],
      rhythm: 'af',
      spo2Scale: 2,
      heartRateVariability: 2.5,
    });
    expect(af.means[HR]).toBe(85);
  });

  it('hands over from a phase that has not finished without a jump, and carries consciousness on', () => {
    const course = createCourse(
      BASELINE,
      resolveCourse({
        timeline: [
          { name: 'deteriorating', atMs: 0, rampMs: 10 * MINUTE, consciousness: 'C' },
          { name: 'recovery', atMs: 5 * MINUTE, rampMs: 10 * MINUTE },
        ],
      }).timeline,
    );
    const before = course.at(5 * MINUTE - 1);
    const beforeMeans = [...before.means];
    expect(before.consciousness).toBe('A'); // not fully developed
    const at = course.at(5 * MINUTE);
    expect([...at.means].map((m, i) => m - (beforeMeans[i] as number)).every((d) => Math.abs(d) < 1e-3)).toBe(
      true,
    );
    expect(at.means[HR]).toBeCloseTo(70 + (118 - 70) / 2, 10);
    expect(course.at(15 * MINUTE).means[HR]).toBeCloseTo(70, 10);
  });

  it('keeps the means continuous through any timeline of acute phases (property)', () => {
    const acute = SCENARIO_NAMES.filter((n) => SCENARIOS[n].kind === 'acute');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.constantFrom(...acute),
            gapMs: fc.integer({ min: 0, max: 60 * MINUTE }),
            rampMs: fc.integer({ min: 1_000, max: 60 * MINUTE }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (phases) => {
          let atMs = 1_000;
          const timeline = phases.map((p) => {
            atMs += p.gapMs;
            return { name: p.name as ScenarioName, atMs, rampMs: p.rampMs };
          });
          const course = createCourse(BASELINE, resolveCourse({ timeline }).timeline);
          for (const phase of timeline) {
            for (const t of [phase.atMs, phase.atMs + phase.rampMs]) {
              const left = [...course.at(t - 1).means];
              const right = [...course.at(t).means];
              // At most ~50 units of change over a ramp of >= 1 s: < 0.06 per ms.
              for (const [i, v] of right.entries())
                expect(Math.abs(v - (left[i] as number))).toBeLessThan(0.06);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
