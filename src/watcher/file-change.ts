import type { z } from 'zod';
import type { FileChanged } from '../events/schemas.js';

/** What a `FileChanged` event records: the change, the path relative to the cwd, the kind. */
export type FileChange = z.infer<typeof FileChanged>;
/** A file or a directory. */
export type ChangeKind = FileChange['kind'];
