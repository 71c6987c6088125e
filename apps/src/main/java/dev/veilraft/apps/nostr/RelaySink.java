package dev.veilraft.apps.nostr;

/**
 * The transport side of one client connection (a WebSocket session), implemented by the node.
 * The relay calls {@link #send} for one connection from one thread at a time, in message order.
 */
public interface RelaySink {
  /**
   * Writes one text frame. It may block while the transport writes (that is how the relay sees a
   * slow consumer: its own bounded outgoing queue fills), but must give up within the transport's
   * write timeout, by returning or throwing; a throw closes the connection.
   */
  void send(String text);

  /** Closes the connection with a WebSocket close code and reason; further sends are ignored. */
  void close(int code, String reason);
}
