package dev.veilraft.simulator.workload.nostr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Nostr client connection to a node's relay ({@code ws://127.0.0.1:port/nostr}, the node's
 * INSECURE plain-HTTP loopback connector), on the JDK's WebSocket client. Relay messages (JSON
 * arrays) arrive in a bounded queue; a closed or failed connection puts a {@link #CLOSED}
 * marker in it, so a reader never waits past its own timeout.
 */
public final class RelaySocket implements AutoCloseable {
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Messages buffered before the reader takes them; past it the connection is closed as too slow. */
  static final int QUEUE_MESSAGES_MAX = 20_000;
  /** Longest relay message assembled from fragments. */
  static final int MESSAGE_CHARS_MAX = 8 * 1024 * 1024;
  public static final JsonNode CLOSED = new ObjectMapper().createObjectNode().put("closed", true);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebSocket socket;
  private final BlockingQueue<JsonNode> inbox;

  private RelaySocket(WebSocket socket, BlockingQueue<JsonNode> inbox) {
    this.socket = socket;
    this.inbox = inbox;
  }

  /** Connects within {@link #CONNECT_TIMEOUT}; an IOException says why not. */
  public static RelaySocket connect(HttpClient http, URI base) throws IOException, InterruptedException {
    URI uri = URI.create("ws://" + base.getAuthority() + "/nostr");
    BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>(QUEUE_MESSAGES_MAX);
    WebSocket.Listener listener = new WebSocket.Listener() {
      private final StringBuilder partial = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        if (partial.length() + data.length() > MESSAGE_CHARS_MAX) {
          partial.setLength(0);
          ws.abort();
          inbox.offer(CLOSED);
          return null;
        }
        partial.append(data);
        if (last) {
          try {
            JsonNode message = JSON.readTree(partial.toString());
            if (!inbox.offer(message)) {
              ws.abort();
              inbox.offer(CLOSED);
            }
          } catch (IOException e) {
            // Not JSON: a relay bug the checkers will see as a missing answer; drop it.
          }
          partial.setLength(0);
        }
        ws.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        inbox.offer(CLOSED);
        return null;
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        inbox.offer(CLOSED);
      }
    };
    try {
      WebSocket socket = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT).buildAsync(uri, listener)
          .get(CONNECT_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
      return new RelaySocket(socket, inbox);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("no WebSocket to " + uri + ": " + (e.getCause() != null ? e.getCause() : e), e);
    }
  }

  public void send(String text) throws IOException, InterruptedException {
    try {
      socket.sendText(text, true).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("could not send on the relay connection: " + (e.getCause() != null ? e.getCause() : e), e);
    }
  }

  /** The next relay message within {@code timeout}, {@link #CLOSED} when the connection ended, null on timeout. */
  public JsonNode next(Duration timeout) throws InterruptedException {
    JsonNode message = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (message == CLOSED) {
      // Keep the marker for later readers.
      inbox.offer(CLOSED);
    }
    return message;
  }

  @Override
  public void close() {
    socket.abort();
  }
}
