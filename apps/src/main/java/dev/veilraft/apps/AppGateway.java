package dev.veilraft.apps;

import java.util.concurrent.CompletableFuture;

/**
 * How an app's protocol front end (HTTP, WebSocket), which runs on one node outside the apply
 * path, reaches the replicated app. The node implements it: {@link #submit} seals the request to
 * the group key, commits it through Raft and opens the result; {@link #query} answers from
 * committed state without a log entry. The front end may do I/O (Lightning, clocks); the app it
 * talks to through here may not.
 */
public interface AppGateway {
  /**
   * Commits {@code request} for app {@code app} and completes with the app's response bytes. Completes
   * exceptionally with {@link AppRejectedException} when the app refused the request (its
   * deterministic message), or with another exception when its commit is unconfirmed (no leader,
   * timeout: it may still apply).
   */
  CompletableFuture<byte[]> submit(String app, byte[] request);

  /**
   * Answers a read-only query from committed state: linearizable (Raft ReadIndex) or, when
   * {@code linearizable} is false, from this node's replica as it stands. Same failure rules as
   * {@link #submit}.
   */
  CompletableFuture<QueryAnswer> query(String app, byte[] request, boolean linearizable);

  /**
   * A query's answer and where in the log the state it was read from stood: every entry up to
   * {@code readFrom} had taken effect in it, none after {@code readThrough} had, and those between
   * may or may not have (the replica commits while a query reads). A front end that also hears of
   * committed entries ({@link CommittedListener}) knows from them which of those the answer
   * surely covers, and which it must check against the answer itself.
   */
  record QueryAnswer(byte[] response, long readFrom, long readThrough) {}
}
