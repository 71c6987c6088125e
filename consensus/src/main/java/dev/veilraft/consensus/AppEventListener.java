package dev.veilraft.consensus;

/**
 * Told of every client event an app ran successfully on this replica, after its entry is
 * committed to the store, in log order, on the apply thread. How a node-local front end learns
 * what the group accepted through other nodes (a Nostr subscription on node B sees an event
 * published through node A). Runs inside the TEE with plaintext: never log or persist it, and
 * return quickly (the next entry waits).
 */
@FunctionalInterface
public interface AppEventListener {
  /**
   * One successfully applied event.
   *
   * @param index the log index of its entry (events of one batch share it)
   * @param app the app it was addressed to
   * @param request the app's request bytes
   * @param response the app's response bytes
   */
  record Committed(long index, String app, byte[] request, byte[] response) {}

  void committed(Committed event);

  /**
   * The replica installed a snapshot at log index {@code index}, on the apply thread with no entry
   * applied meanwhile: the events of the entries it covers were never told to {@link #committed},
   * and never will be.
   */
  default void installed(long index) {}
}
