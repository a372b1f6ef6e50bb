/** An RFC 9457 problem as the server sends it (SPEC, "HTTP API"). */
export interface Problem {
  /** 0: the server could not be reached. */
  status: number;
  type: string;
  title: string;
  detail: string;
  errors: { path: string; message: string }[];
}

/** A request the server refused, or could not be sent. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

/** What went wrong, in words for a person, whatever the error was. */
export function plainMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  const { status, detail, title } = error.problem;
  if (status === 0) return 'The server could not be reached. Is sessionlog still running?';
  if (status === 401)
    return 'The server needs its token: open the link `sessionlog serve` printed.';
  if (status === 409) return `This cannot be done now: ${detail}.`;
  if (status === 410) return 'This session was deleted.';
  if (status === 429)
    return 'Too many sessions were started from here just now. Try again shortly.';
  if (status >= 500) return `The server failed: ${detail || title}. Try again.`;
  return sentence(detail || title);
}

/** Capitalised and with a full stop: server messages are fragments ("does not exist"). */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
