import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { InvalidArgumentError } from '../../aggregation/errors.js';
import { runAggregate } from '../../cli/aggregate.js';

const five = JSON.stringify({
  updates: [
    [1, 2, 3],
    [2, 4, 1],
    [3, 0, 2],
    [4, 1, 5],
    [100, -50, 7],
  ],
});

interface Output {
  rule: string;
  result: number[];
  selected: number[];
  influence: number[];
}

const run = (options: Parameters<typeof runAggregate>[0], input = five): Output =>
  JSON.parse(runAggregate(options, input)) as Output;

function throwsOn(call: () => unknown, field: string, message: RegExp): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

describe('runAggregate', () => {
  test('median: result, selected, influence and the rule, as JSON', () => {
    const out = run({ rule: 'median' });
    assert.deepEqual(out.result, [3, 1, 3]);
    assert.deepEqual(out.selected, [0, 2, 3]);
    assert.equal(out.rule, 'median');
    assert.equal(out.influence.length, 5);
    assert.equal(out.influence[4], 0);
  });

  test('results are written with the fewest digits that round-trip float32', () => {
    const out = run({ rule: 'trimmed-mean', trim: 0.2 });
    assert.deepEqual(out.result, [3, 1, 3.3333333]);
    assert.equal(Math.fround(out.result[2]!), Math.fround(10 / 3));
    assert.match(runAggregate({ rule: 'fedavg' }, JSON.stringify({ updates: [[0.1]] })), /"result":\[0\.1\]/);
  });

  test('krum, multi-krum and bulyan take --byzantine; multi-krum --select', () => {
    assert.deepEqual(run({ rule: 'krum', byzantine: 1 }).selected, [0]);
    const multi = run({ rule: 'multi-krum', byzantine: 1, select: 2 });
    assert.deepEqual(multi.selected, [0, 2]);
    assert.deepEqual(multi.result, [2, 1, 2.5]);
    const updates = [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 0],
      [0, 3],
      [10, 10],
    ];
    const bulyan = run({ rule: 'bulyan', byzantine: 1 }, JSON.stringify({ updates }));
    assert.deepEqual(bulyan.selected, [0, 1, 2, 3, 4]);
    assert.deepEqual(bulyan.result, [0.8888889, 0]);
  });

  test('weights are optional and used by weighted rules', () => {
    const input = JSON.stringify({ updates: [[0], [10]], weights: [3, 1] });
    assert.deepEqual(run({ rule: 'fedavg' }, input).result, [2.5]);
    assert.deepEqual(run({ rule: 'fedavg' }, input).influence, [0.75, 0.25]);
    assert.deepEqual(run({ rule: 'norm-bound', bound: 4 }, input).result, [1]);
    assert.deepEqual(
      run(
        { rule: 'geomed' },
        JSON.stringify({
          updates: [
            [0, 0],
            [2, 0],
            [1, 1],
          ],
        }),
      ).result.length,
      2,
    );
  });

  test('cclip takes --radius and a centre in the input', () => {
    const input = JSON.stringify({ updates: [[1], [2], [3], [-1], [50]], centre: [0] });
    // One default step (3 in all) of radius 2 from 0; see the rule's own tests for the arithmetic.
    const out = run({ rule: 'cclip', radius: 2 }, input);
    assert.equal(out.result.length, 1);
    assert.ok(out.result[0]! > 1 && out.result[0]! < 3, String(out.result[0]));
    assert.ok(out.influence[4]! < 0.05);
  });

  test('malformed input names the field', () => {
    throwsOn(() => runAggregate({ rule: 'median' }, '{"updates": [[1, 2], [3'), 'input', /not valid JSON/);
    throwsOn(() => runAggregate({ rule: 'median' }, '[[1, 2]]'), 'input', /expected an object/);
    throwsOn(() => runAggregate({ rule: 'median' }, '{"update": [[1]]}'), 'update', /unknown field/);
    throwsOn(() => runAggregate({ rule: 'median' }, '{"updates": 3}'), 'updates', /array of updates/);
    throwsOn(
      () => runAggregate({ rule: 'median' }, '{"updates": [[1], 2]}'),
      'updates[1]',
      /array of numbers/,
    );
    const bad = JSON.stringify({ updates: [[0, 0, 0, 0, 0, 0, 0, 0], [0], [0], [0, 0, 0, 0, 0, 0, 0, 'x']] });
    throwsOn(
      () => runAggregate({ rule: 'median' }, bad),
      'updates[3][7]',
      /expected a finite number, got "x"/,
    );
    throwsOn(
      () => runAggregate({ rule: 'median' }, '{"updates": [[1e39]]}'),
      'updates[0][0]',
      /overflows float32/,
    );
    throwsOn(
      () => runAggregate({ rule: 'median' }, '{"updates": [[1e400]]}'),
      'updates[0][0]',
      /got Infinity/,
    );
    throwsOn(
      () => runAggregate({ rule: 'median' }, '{"updates": [[1, 2], [3]]}'),
      'updates[1]',
      /length 1 differs/,
    );
    throwsOn(() => runAggregate({ rule: 'median' }, '{"updates": []}'), 'updates', /at least one/);
    throwsOn(
      () => runAggregate({ rule: 'fedavg' }, '{"updates": [[1], [2]], "weights": [1]}'),
      'weights',
      /one weight/,
    );
    throwsOn(
      () => runAggregate({ rule: 'fedavg' }, '{"updates": [[1]], "weights": [0]}'),
      'weights[0]',
      /> 0/,
    );
    throwsOn(
      () => runAggregate({ rule: 'fedavg' }, '{"updates": [[1]], "weights": ["1"]}'),
      'weights[0]',
      /got "1"/,
    );
    throwsOn(
      () => runAggregate({ rule: 'median' }, '{"updates": [[1]], "centre": [0]}'),
      'centre',
      /only cclip/,
    );
  });

  test('bad options name the option; requirements name n and f', () => {
    throwsOn(
      () => run({ rule: 'average' }),
      'rule',
      /unknown rule 'average'; expected one of fedavg, median/,
    );
    throwsOn(() => run({ rule: 'krum' }), 'byzantine', /needs byzantine/);
    throwsOn(
      () => run({ rule: 'krum', byzantine: 2 }),
      'byzantine',
      /^byzantine: Krum needs n >= 2f\+3, got n=5, f=2$/,
    );
    throwsOn(() => run({ rule: 'trimmed-mean', trim: 0.7 }), 'trim', /\[0, 0\.5\)/);
    throwsOn(() => run({ rule: 'median', trim: 0.1 }), 'trim', /not used by rule median/);
    throwsOn(() => run({ rule: 'multi-krum', byzantine: 1, select: 3 }), 'select', /got m=3, n=5, f=1/);
    throwsOn(() => run({ rule: 'norm-bound' }), 'bound', /needs bound/);
    throwsOn(() => run({ rule: 'toString' }), 'rule', /unknown rule/);
  });
});
