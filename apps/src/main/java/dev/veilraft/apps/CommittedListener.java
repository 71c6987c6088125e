package dev.veilraft.apps;

/**
 * Told, on this node's apply thread, of every request its replica applied successfully for one
 * app, in log order: the opened request and the app's response. Runs inside the TEE with
 * plaintext, so it must neither log nor persist them, and must return quickly (hand work to
 * another thread); it must not throw.
 */
@FunctionalInterface
public interface CommittedListener {
  void committed(long index, byte[] request, byte[] response);

  /**
   * The replica jumped to a snapshot at log index {@code index}: the requests of the entries it
   * covers were never told to {@link #committed}, and never will be.
   */
  default void installed(long index) {}
}
