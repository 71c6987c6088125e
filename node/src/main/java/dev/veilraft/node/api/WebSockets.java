package dev.veilraft.node.api;

import java.time.Duration;
import java.util.ArrayDeque;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * WebSocket routes of the node's API (the Nostr relay): text messages in, text messages out,
 * one handler per connection. Outgoing messages are queued and written one at a time (Jetty
 * allows a single pending write); a peer that does not read is closed with a reason once
 * {@link #OUTGOING_MESSAGES_MAX} messages wait. Incoming messages above {@link
 * #TEXT_MESSAGE_BYTES_MAX} are refused by Jetty with close code 1009 and a reason; the app's own,
 * lower limits answer with protocol messages before that.
 */
public final class WebSockets {
  /** Largest text message read from a peer; the connection is closed (1009, with a reason) above it. */
  public static final int TEXT_MESSAGE_BYTES_MAX = 1024 * 1024;
  /** Messages queued for a peer before it counts as not reading and is closed. */
  public static final int OUTGOING_MESSAGES_MAX = 4096;
  /**
   * Characters queued for a peer before it counts as not reading and is closed: writes never block
   * the app, so this is what bounds one connection's memory (a REQ answer can be megabytes).
   */
  public static final long OUTGOING_CHARS_MAX = 16L * 1024 * 1024;
  public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(10);

  /** Where a connection's handler writes. Thread-safe. */
  public interface Sink {
    void send(String text);

    void close(int code, String reason);
  }

  /** One connection's handler, called on Jetty's threads, one message at a time. */
  public interface Connection {
    void onText(String text);

    void onClose();
  }

  @FunctionalInterface
  public interface Factory {
    Connection open(Sink sink);
  }

  private final WebSocketUpgradeHandler upgrade;

  WebSockets(Server server) {
    this.upgrade = WebSocketUpgradeHandler.from(server, container -> {
      container.setMaxTextMessageSize(TEXT_MESSAGE_BYTES_MAX);
      container.setIdleTimeout(IDLE_TIMEOUT);
    });
  }

  WebSocketUpgradeHandler handler() {
    return upgrade;
  }

  void add(String path, Factory factory) {
    upgrade.getServerWebSocketContainer().addMapping(path, (request, response, callback) -> new Endpoint(factory));
  }

  /** The Jetty side of one connection (public: Jetty calls its listener methods through method handles). */
  public static final class Endpoint implements Session.Listener.AutoDemanding, Sink {
    private final Factory factory;
    private final ArrayDeque<String> outgoing = new ArrayDeque<>();
    private long outgoingChars;
    private Session session;
    private Connection connection;
    private boolean writing;
    private boolean closed;

    Endpoint(Factory factory) {
      this.factory = factory;
    }

    @Override
    public void onWebSocketOpen(Session session) {
      synchronized (this) {
        this.session = session;
      }
      connection = factory.open(this);
    }

    @Override
    public void onWebSocketText(String message) {
      connection.onText(message);
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
      synchronized (this) {
        closed = true;
        outgoing.clear();
        outgoingChars = 0;
      }
      if (connection != null) {
        connection.onClose();
      }
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      // Jetty closes the session after an error and then calls onWebSocketClose.
    }

    @Override
    public void send(String text) {
      synchronized (this) {
        if (closed) {
          return;
        }
        if (outgoing.size() >= OUTGOING_MESSAGES_MAX || outgoingChars + text.length() > OUTGOING_CHARS_MAX) {
          closeLocked(StatusCode.POLICY_VIOLATION, "slow consumer: " + outgoing.size() + " messages ("
              + outgoingChars + " characters) waiting to be read");
          return;
        }
        outgoing.add(text);
        outgoingChars += text.length();
        if (writing) {
          return;
        }
        writing = true;
      }
      writeNext();
    }

    private void writeNext() {
      String next;
      Session s;
      synchronized (this) {
        next = closed ? null : outgoing.poll();
        if (next == null) {
          writing = false;
          return;
        }
        outgoingChars -= next.length();
        s = session;
      }
      s.sendText(next, Callback.from(this::writeNext, error -> {
        synchronized (this) {
          writing = false;
          outgoing.clear();
          outgoingChars = 0;
        }
      }));
    }

    @Override
    public synchronized void close(int code, String reason) {
      closeLocked(code, reason);
    }

    private void closeLocked(int code, String reason) {
      if (closed || session == null) {
        return;
      }
      closed = true;
      outgoing.clear();
      outgoingChars = 0;
      session.close(code, reason, Callback.NOOP);
    }
  }
}
