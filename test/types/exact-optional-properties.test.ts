import { describe, expect, it } from 'vitest';
import { optionalInputProperties } from '../support/public-input-types.js';

describe('the public types under exactOptionalPropertyTypes', () => {
  it('every optional property a caller gives (options, inputs, hooks) accepts an explicit undefined', () => {
    const rejecting = optionalInputProperties().filter((p) => !p.acceptsUndefined);
    expect(rejecting.map((p) => `${p.path} (${p.at})`)).toEqual([]);
  }, 120_000); // builds a TypeScript program of src/: seconds, more on a loaded machine; the time is not the subject
});
