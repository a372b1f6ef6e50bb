/** Where a projection's table or one of its snapshots disagrees with a fresh fold of the log. */
export interface ProjectionMismatch {
  projection: string;
  /** The table, or the snapshot at `position`. */
  in: 'table' | 'snapshot';
  key: string;
  /**
   * For the table: the last position of the log that touched the row (0 for a row the log never
   * made). For a snapshot: its position.
   */
  position: number;
  /** What the table or the snapshot holds (null: nothing). */
  stored: unknown;
  fold: unknown;
}
