package dev.veilraft.state.app;

import dev.veilraft.state.StateException;

/**
 * An application that runs inside every member's TEE, one of several side by side in a cluster,
 * each in its own namespace. {@link #apply} must be deterministic: everything it uses comes from
 * the request, its state and the {@link AppContext} (time, index, random) — never the wall
 * clock, {@code SecureRandom}, threads or I/O — so every replica writes the same state and returns
 * the same bytes. A refusal is an {@link AppException}; the request's writes are then discarded.
 */
public interface App {
  /**
   * The name clients address requests to, 1..32 characters of [a-z0-9-] starting with a letter;
   * the app's records live in namespace {@code app/<name>}.
   */
  String name();

  /**
   * Applies one committed request and returns the response.
   *
   * @throws AppException the request is refused (malformed, not allowed, conflicting); its
   *     message is returned to the client and must itself be deterministic
   * @throws StateException the store failed (local corruption): the replica halts
   */
  byte[] apply(AppContext context, AppState state, byte[] request) throws AppException, StateException;

  /**
   * Answers a read-only query against committed state (linearizable or stale, as the caller
   * chose). Must not depend on anything but {@code state} and {@code request}.
   */
  default byte[] query(AppReader state, byte[] request) throws AppException, StateException {
    throw new AppException("app '" + name() + "' answers no queries; send a request instead");
  }

  /**
   * Answers a query knowing whether a member's own front end sent it (see {@link
   * AppContext#fromMember}); apps that serve some answers only to their front ends override this.
   */
  default byte[] query(AppReader state, byte[] request, boolean fromMember) throws AppException, StateException {
    return query(state, request);
  }
}
