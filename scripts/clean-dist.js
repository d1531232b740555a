// Empties dist/ before a build (`npm run build`), so a module moved or deleted in src/ leaves
// no stale JavaScript, declaration or map behind to be shipped.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
