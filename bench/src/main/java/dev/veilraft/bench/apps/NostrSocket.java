package dev.veilraft.bench.apps;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A Nostr client connection over the JDK's WebSocket: it hands every complete text message to
 * its consumer on the WebSocket's delivery thread, one at a time and in order, and sends text
 * frames one at a time (the caller never overlaps two sends on one socket).
 */
final class NostrSocket implements WebSocket.Listener, AutoCloseable {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
  /** A relay message longer than this is a relay fault here (the benchmark's events are small). */
  static final int MESSAGE_CHARS_MAX = 1 << 20;

  private final Consumer<String> onMessage;
  private final StringBuilder partial = new StringBuilder();
  private volatile String closedBecause;
  private WebSocket socket;

  private NostrSocket(Consumer<String> onMessage) {
    this.onMessage = onMessage;
  }

  static NostrSocket connect(HttpClient http, URI url, Consumer<String> onMessage) throws InterruptedException,
      IOException {
    NostrSocket listener = new NostrSocket(onMessage);
    try {
      listener.socket = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT).buildAsync(url, listener)
          .get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot open the WebSocket " + url + ": " + e, e);
    }
    return listener;
  }

  void send(String text) throws InterruptedException, IOException {
    try {
      socket.sendText(text, true).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot send on the WebSocket: " + e, e);
    }
  }

  /** Why the relay closed the connection, or null while it is open. */
  String closedBecause() {
    return closedBecause;
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (partial.length() > MESSAGE_CHARS_MAX) {
      closedBecause = "a relay message over " + MESSAGE_CHARS_MAX + " characters";
      webSocket.abort();
      return null;
    }
    if (last) {
      String message = partial.toString();
      partial.setLength(0);
      onMessage.accept(message);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closedBecause = "closed by the relay: " + statusCode + " " + reason;
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closedBecause = "WebSocket error: " + error;
  }

  @Override
  public void close() {
    if (socket == null) {
      return;
    }
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "benchmark done").get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // The relay is gone or slow: abort below either way.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    socket.abort();
  }
}
