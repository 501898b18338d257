// Errors as values: the domain returns a Result instead of throwing for
// anything a person or a supplier can cause. Exceptions are for bugs and
// for the outside world failing.
export type Ok<T> = { ok: true; value: T };
export type Err<E> = { ok: false; error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });
