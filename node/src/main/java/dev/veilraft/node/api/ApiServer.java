package dev.veilraft.node.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.client.proto.ApiError;
import dev.veilraft.crypto.NodeIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTPS API on its identity key (the key bound in its evidence), so a client that
 * verified the evidence knows whom it talks to. Bodies are protobuf; every error is an ApiError
 * with a stable code and a message naming what was wrong.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  /** Largest request body accepted on any route. */
  public static final int BODY_BYTES_MAX = 512 * 1024;
  private static final int HANDLER_THREADS = 64;

  /** One route: request bytes (null for GET) and query string to response bytes. */
  @FunctionalInterface
  public interface Handler {
    byte[] handle(byte[] body, String query) throws ApiException;
  }

  private final HttpsServer server;
  private final ExecutorService executor;
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();

  public ApiServer(String host, int port, NodeIdentity identity) throws IOException {
    this.server = HttpsServer.create(new InetSocketAddress(host, port), 128);
    server.setHttpsConfigurator(new HttpsConfigurator(tls(identity)));
    this.executor = Executors.newFixedThreadPool(HANDLER_THREADS, r -> {
      Thread t = new Thread(r, "api-" + port);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::dispatch);
  }

  private static SSLContext tls(NodeIdentity identity) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {identity.keyManager()}, null, new SecureRandom());
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the API TLS context", e);
    }
  }

  /** Registers {@code METHOD /path}. */
  public void route(String method, String path, Handler handler) {
    routes.put(method + " " + path, handler);
  }

  public void start() {
    server.start();
    LOG.info("https api listening on {}", server.getAddress());
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Handler handler = routes.get(exchange.getRequestMethod() + " " + path);
      try {
        if (handler == null) {
          boolean known = routes.keySet().stream().anyMatch(k -> k.endsWith(" " + path));
          throw known ? new ApiException(405, "METHOD_NOT_ALLOWED", exchange.getRequestMethod() + " is not allowed on " + path)
              : new ApiException(404, "NOT_FOUND", "no route " + path);
        }
        byte[] body = "GET".equals(exchange.getRequestMethod()) ? null : readBody(exchange.getRequestBody());
        byte[] response = handler.handle(body, exchange.getRequestURI().getRawQuery());
        send(exchange, 200, response);
      } catch (ApiException e) {
        send(exchange, e.status(), ApiError.newBuilder().setCode(e.code()).setMessage(e.getMessage()).build().toByteArray());
      } catch (RuntimeException e) {
        LOG.warn("internal error on {}: {}", path, e.toString());
        send(exchange, 500, ApiError.newBuilder().setCode("INTERNAL").setMessage("internal error: " + e.getClass().getSimpleName())
            .build().toByteArray());
      }
    }
  }

  private static byte[] readBody(InputStream in) throws IOException, ApiException {
    byte[] body = in.readNBytes(BODY_BYTES_MAX + 1);
    if (body.length > BODY_BYTES_MAX) {
      throw new ApiException(413, "BODY_TOO_LARGE", "request body is larger than " + BODY_BYTES_MAX + " bytes");
    }
    return body;
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", NodeHttp.PROTOBUF);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
