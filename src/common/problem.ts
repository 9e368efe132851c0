/** RFC 9457 problem details: the one error body of every response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  /** Present on 400 validation failures: which field failed which rule. */
  errors?: FieldError[];
  /** Present on a failed readiness check: each dependency and its status. */
  checks?: Record<string, { status: string }>;
  /** Present on OAuth2 endpoints (RFC 6749 §5.2). */
  error?: string;
  error_description?: string;
}

export interface FieldError {
  field: string;
  messages: string[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
