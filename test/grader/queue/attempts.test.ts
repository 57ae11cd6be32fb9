/**
 * The give-up rule of queued submissions (src/grader/queue/attempts.ts), on the counts BullMQ keeps:
 * worker deaths and grader failures are lost tries, hand-backs of a stopping worker are not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GIVE_UP_ENDING, HANDED_BACK, startCheck } from '../../../src/grader/queue/attempts.js';

const handedBack = `${HANDED_BACK} by host:123 (the worker was stopping)`;

describe('startCheck: when a queued submission has had enough tries', () => {
  it('grades a first start, and later starts while lost tries are fewer than --attempts', () => {
    assert.deepEqual(startCheck({ attemptsStarted: 1, attemptsMade: 0 }, [], 1), { lost: 0, triesLeft: 1 });
    assert.deepEqual(startCheck({ attemptsStarted: 2, attemptsMade: 0 }, [], 2), { lost: 1, triesLeft: 1 });
    assert.deepEqual(startCheck({ attemptsStarted: 3, attemptsMade: 0 }, [], 3), { lost: 2, triesLeft: 1 });
  });

  it('gives up on the start after --attempts worker deaths, and says how many', () => {
    const c = startCheck({ attemptsStarted: 3, attemptsMade: 0 }, [], 2);
    assert.equal(c.lost, 2);
    assert.equal(c.giveUp, `the worker grading it died 2 times (killed, crashed, or cut off from Redis)${GIVE_UP_ENDING} (--attempts 2)`);
    assert.match(startCheck({ attemptsStarted: 2, attemptsMade: 0 }, [], 1).giveUp!, /^the worker grading it died once /);
  });

  it('does not count hand-backs of a stopping worker as lost tries', () => {
    assert.deepEqual(startCheck({ attemptsStarted: 2, attemptsMade: 0 }, [handedBack], 1), { lost: 0, triesLeft: 1 });
    assert.deepEqual(startCheck({ attemptsStarted: 4, attemptsMade: 0 }, [handedBack, 'something else', handedBack], 2), { lost: 1, triesLeft: 1 });
    assert.ok(startCheck({ attemptsStarted: 4, attemptsMade: 0 }, [handedBack], 2).giveUp);
  });

  it('counts grader failures (BullMQ attemptsMade) as lost tries, and names both causes', () => {
    const c = startCheck({ attemptsStarted: 3, attemptsMade: 1 }, [], 2);
    assert.equal(
      c.giveUp,
      `the worker grading it died once (killed, crashed, or cut off from Redis) and the grader failed on it once${GIVE_UP_ENDING} (--attempts 2)`,
    );
    assert.equal(startCheck({ attemptsStarted: 3, attemptsMade: 2 }, [], 2).giveUp, `the grader failed on it 2 times${GIVE_UP_ENDING} (--attempts 2)`);
  });
});
