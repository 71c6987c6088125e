package dev.veilraft.node.api;

import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.client.proto.ApiError;
import dev.veilraft.crypto.NodeIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTPS API (embedded Jetty) on its identity key, the key bound in its evidence, so a
 * client that verified the evidence knows whom it talks to. Bodies are protobuf; every error is
 * an ApiError with a stable code and a message naming what was wrong.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  /** Largest request body accepted on any route. */
  public static final int BODY_BYTES_MAX = 512 * 1024;
  private static final int THREADS_MAX = 64;
  /**
   * Requests one HTTP/2 connection may have open at once. Above the default pending-per-client
   * bound (128) so one SDK client at its limit never waits for a stream; a request waiting for
   * Raft holds a stream but no thread. Each open stream may hold a body of up to
   * {@link #BODY_BYTES_MAX}, as each HTTP/1.1 connection may.
   */
  public static final int H2_STREAMS_PER_CONNECTION_MAX = 256;
  /** ALPN names of the protocols the TLS connector offers, in order of preference. */
  public static final String PROTOCOL_H2 = "h2";
  public static final String PROTOCOL_HTTP_1_1 = "http/1.1";

  /** A route answered on the request thread. */
  @FunctionalInterface
  public interface Handler {
    byte[] handle(byte[] body, String query) throws ApiException;
  }

  /** A route whose answer completes later (e.g. when Raft committed), holding no thread meanwhile. */
  @FunctionalInterface
  public interface AsyncHandler {
    CompletableFuture<byte[]> handle(byte[] body, String query) throws ApiException;
  }

  /** A route that chooses its own status and content type (JSON answers with JSON errors). */
  @FunctionalInterface
  public interface HttpHandler {
    HttpAnswer handle(byte[] body, String query);
  }

  /**
   * A JSON route that also reads the caller's address (for per-caller bounds) and may add
   * response headers (e.g. Retry-After).
   */
  @FunctionalInterface
  public interface CallerHttpHandler {
    CallerAnswer handle(byte[] body, String query, String callerAddress);
  }

  /** An answer with extra response headers. */
  public record CallerAnswer(HttpAnswer answer, Map<String, String> headers) {
    public CallerAnswer {
      headers = Map.copyOf(headers);
    }
  }

  /** A request to an app's own protocol (Cashu HTTP, NIP-11), routed by path prefix. */
  public record AppRequest(String method, String path, String query, String accept, byte[] body) {}

  /** Answers every request under a path prefix; {@code path} in the request is relative to the prefix. */
  @FunctionalInterface
  public interface PrefixHandler {
    CompletableFuture<HttpAnswer> handle(AppRequest request);
  }

  private final Server server;
  private final ServerConnector connector;

  /** Whether the TLS port accepts WebSockets over HTTP/2 (RFC 8441): never; for tests. */
  boolean webSocketsOverHttp2() {
    HTTP2ServerConnectionFactory http2 = connector.getConnectionFactory(HTTP2ServerConnectionFactory.class);
    return http2 != null && http2.isConnectProtocolEnabled();
  }
  /** Plain HTTP on loopback (INSECURE: no TLS), for local clusters; null unless configured. */
  private final ServerConnector plainConnector;
  private final Map<String, AsyncHandler> routes = new ConcurrentHashMap<>();
  private final Map<String, String> contentTypes = new ConcurrentHashMap<>();
  private final Map<String, PrefixHandler> prefixes = new ConcurrentHashMap<>();
  private final Map<String, HttpHandler> httpRoutes = new ConcurrentHashMap<>();
  private final Map<String, CallerHttpHandler> callerRoutes = new ConcurrentHashMap<>();
  private final java.util.Set<String> webSocketPaths = ConcurrentHashMap.newKeySet();
  private final WebSockets webSockets;
  private final HandshakeCounter handshakes = new HandshakeCounter();
  private volatile RequestObserver observer = (route, method, status, nanos) -> {};

  /**
   * Told of every answered request (metrics): {@code route} is the registered pattern ("/v1/events",
   * "/cashu/**" for a prefix, {@link #ROUTE_UNMATCHED} for no route), never the raw path.
   */
  @FunctionalInterface
  public interface RequestObserver {
    void observed(String route, String method, int status, long nanos);
  }

  /** Route label of requests that matched no route. */
  public static final String ROUTE_UNMATCHED = "unmatched";

  public ApiServer(String host, int port, NodeIdentity identity) {
    this(host, port, identity, null, null, 0);
  }

  /**
   * An API on {@code host:port} over TLS with the node's identity key, and, when {@code
   * insecurePlainHost} is not null, the same routes over plain HTTP on that loopback address
   * (port 0: any free port). Plain HTTP is INSECURE: nothing binds what a client reads there to
   * an attested key; it exists for local clusters and interop tests. With {@code webTls} (the
   * node's CA-issued certificate and its sealed key), clients that ask by SNI for one of its DNS
   * names get that certificate; everyone else gets the identity certificate.
   */
  public ApiServer(String host, int port, NodeIdentity identity, java.security.KeyStore.PrivateKeyEntry webTls,
      String insecurePlainHost, int insecurePlainPort) {
    QueuedThreadPool threads = new QueuedThreadPool(THREADS_MAX, 4);
    threads.setName("api-" + port);
    threads.setDaemon(true);
    this.server = new Server(threads);
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setSslContext(tls(identity, webTls));
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // Node certificates are self-signed identity keys without host names: identity is the key,
    // checked by the client against the attested description, not SNI.
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    // HTTP/2 when the client offers it by ALPN (the SDK does: all its requests share one TLS
    // connection), HTTP/1.1 otherwise (curl without ALPN, WebSocket upgrades, older SDKs).
    HttpConnectionFactory http1 = new HttpConnectionFactory(http);
    HTTP2ServerConnectionFactory http2 = new HTTP2ServerConnectionFactory(http);
    http2.setMaxConcurrentStreams(H2_STREAMS_PER_CONNECTION_MAX);
    // No WebSockets over HTTP/2 (RFC 8441 extended CONNECT, on by default in Jetty 12): one h2
    // connection could then carry up to 256 relay sessions, each with its own outgoing queue,
    // where an HTTP/1.1 connection carries one (review R5). WebSockets stay HTTP/1.1 upgrades.
    http2.setConnectProtocolEnabled(false);
    ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(PROTOCOL_H2, PROTOCOL_HTTP_1_1);
    alpn.setDefaultProtocol(PROTOCOL_HTTP_1_1);
    this.connector = new ServerConnector(server, new SslConnectionFactory(tls, alpn.getProtocol()), alpn, http2, http1);
    connector.addBean(handshakes);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    if (insecurePlainHost != null) {
      HttpConfiguration plainHttp = new HttpConfiguration();
      plainHttp.setSendServerVersion(false);
      this.plainConnector = new ServerConnector(server, new HttpConnectionFactory(plainHttp));
      plainConnector.setHost(insecurePlainHost);
      plainConnector.setPort(insecurePlainPort);
      server.addConnector(plainConnector);
    } else {
      this.plainConnector = null;
    }
    this.webSockets = new WebSockets(server);
    webSockets.handler().setHandler(new Dispatcher());
    server.setHandler(webSockets.handler());
  }

  private static SSLContext tls(NodeIdentity identity, java.security.KeyStore.PrivateKeyEntry webTls) {
    try {
      KeyManager keys = webTls == null ? identity.keyManager() : new SniKeyManager(
          new java.security.KeyStore.PrivateKeyEntry(identity.privateKey(),
              new java.security.cert.Certificate[] {identity.certificate()}), webTls);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {keys}, null, new SecureRandom());
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the API TLS context", e);
    }
  }

  /** Registers {@code METHOD /path}; answers are protobuf unless the route says otherwise. */
  public void route(String method, String path, Handler handler) {
    routes.put(method + " " + path, (body, query) -> CompletableFuture.completedFuture(handler.handle(body, query)));
  }

  /** Registers {@code METHOD /path} whose successful answers have {@code contentType} (JSON, Prometheus text). */
  public void route(String method, String path, String contentType, Handler handler) {
    route(method, path, handler);
    contentTypes.put(method + " " + path, contentType);
  }

  public void routeAsync(String method, String path, AsyncHandler handler) {
    routes.put(method + " " + path, handler);
  }

  /** Registers an async {@code METHOD /path} whose successful answers have {@code contentType}. */
  public void routeAsync(String method, String path, String contentType, AsyncHandler handler) {
    routeAsync(method, path, handler);
    contentTypes.put(method + " " + path, contentType);
  }

  /**
   * Registers {@code METHOD /path} whose handler answers status, content type and body itself
   * (e.g. 503 with a JSON list of unmet conditions). Oversized bodies are refused before it runs.
   */
  public void routeHttp(String method, String path, HttpHandler handler) {
    httpRoutes.put(method + " " + path, handler);
    // Also an entry of the route table (listing, 405 detection, exact routes win over prefixes);
    // the dispatcher answers it through the HttpHandler and never calls this placeholder.
    routes.put(method + " " + path, (body, query) -> {
      throw new IllegalStateException(method + " " + path + " is answered by its HttpHandler");
    });
  }

  /** Registers {@code METHOD /path} like {@link #routeHttp}, with the caller's address and response headers. */
  public void routeHttpFromCaller(String method, String path, CallerHttpHandler handler) {
    routeHttp(method, path, (body, query) -> {
      throw new IllegalStateException(method + " " + path + " is answered by its CallerHttpHandler");
    });
    callerRoutes.put(method + " " + path, handler);
  }

  /**
   * Hands every request whose path is {@code prefix} or starts with {@code prefix + "/"} to
   * {@code handler} (an app's own protocol), with CORS open to any origin as public web APIs
   * like Cashu mints expect. Exact routes win over prefixes.
   */
  public void routePrefix(String prefix, PrefixHandler handler) {
    prefixes.put(prefix, handler);
  }

  /** Accepts WebSocket upgrades on {@code path}; each connection gets a handler from {@code factory}. */
  public void routeWebSocket(String path, WebSockets.Factory factory) {
    webSockets.add(path, factory);
    webSocketPaths.add(path);
  }

  /** Sets who is told of every answered request (replaces the previous observer). */
  public void observeRequests(RequestObserver observer) {
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
  }

  /** Every exact route, as "METHOD /path", sorted (the OpenAPI description must list the same). */
  public java.util.SortedSet<String> routes() {
    return new java.util.TreeSet<>(routes.keySet());
  }

  /** Every path prefix handed to an app's own protocol, sorted. */
  public java.util.SortedSet<String> prefixRoutes() {
    return new java.util.TreeSet<>(prefixes.keySet());
  }

  /** Every WebSocket path, sorted. */
  public java.util.SortedSet<String> webSocketRoutes() {
    return new java.util.TreeSet<>(webSocketPaths);
  }

  public void start() throws IOException {
    try {
      server.start();
    } catch (Exception e) {
      throw new IOException("cannot start the HTTPS API on " + connector.getHost() + ":" + connector.getPort()
          + ": " + e.getMessage(), e);
    }
    LOG.info("https api listening on {}:{}", connector.getHost(), connector.getLocalPort());
    if (plainConnector != null) {
      LOG.warn("INSECURE plain HTTP api listening on {}:{} (no TLS: for local clusters only)", plainConnector.getHost(),
          plainConnector.getLocalPort());
    }
  }

  public int port() {
    return connector.getLocalPort();
  }

  /**
   * TLS handshakes completed on the API port so far, by the protocol ALPN chose ("h2",
   * "http/1.1"): a client that reuses its connections adds one per connection, not one per request.
   */
  public Map<String, Long> tlsHandshakes() {
    return handshakes.byProtocol();
  }

  /** Counts the TLS handshakes of the API connector (Jetty hands every SslHandshakeListener bean to each TLS connection). */
  private static final class HandshakeCounter implements SslHandshakeListener {
    private final Map<String, java.util.concurrent.atomic.LongAdder> byProtocol = new ConcurrentHashMap<>();

    @Override
    public void handshakeSucceeded(Event event) {
      String protocol = event.getSSLEngine().getApplicationProtocol();
      byProtocol.computeIfAbsent(protocol == null || protocol.isEmpty() ? PROTOCOL_HTTP_1_1 : protocol,
          p -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    Map<String, Long> byProtocol() {
      Map<String, Long> counts = new java.util.TreeMap<>();
      byProtocol.forEach((protocol, count) -> counts.put(protocol, count.sum()));
      return counts;
    }
  }

  /** The plain HTTP port, or -1 when plain HTTP is off. */
  public int insecurePlainPort() {
    return plainConnector == null ? -1 : plainConnector.getLocalPort();
  }

  private final class Dispatcher extends org.eclipse.jetty.server.Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      long started = System.nanoTime();
      String path = Request.getPathInContext(request);
      String method = request.getMethod();
      if (!routes.containsKey(method + " " + path)) {
        String prefix = prefixOf(path);
        if (prefix != null) {
          handlePrefix(prefixes.get(prefix), prefix, path, request, response,
              observed(callback, prefix + "/**", method, response, started));
          return true;
        }
      }
      callback = observed(callback, routes.containsKey(method + " " + path) || routes.keySet().stream()
          .anyMatch(k -> k.endsWith(" " + path)) ? path : ROUTE_UNMATCHED, method, response, started);
      Callback done = callback;
      CallerHttpHandler caller = callerRoutes.get(method + " " + path);
      if (caller != null) {
        handleFromCaller(caller, path, request, response, done);
        return true;
      }
      HttpHandler http = httpRoutes.get(method + " " + path);
      if (http != null) {
        handleHttp(http, path, request, response, done);
        return true;
      }
      CompletableFuture<byte[]> answer;
      try {
        AsyncHandler handler = routes.get(method + " " + path);
        if (handler == null) {
          boolean known = routes.keySet().stream().anyMatch(k -> k.endsWith(" " + path));
          throw known ? new ApiException(405, "METHOD_NOT_ALLOWED", method + " is not allowed on " + path)
              : new ApiException(404, "NOT_FOUND", "no route " + path);
        }
        byte[] body = "GET".equals(method) ? null : readBody(request);
        answer = handler.handle(body, request.getHttpURI().getQuery());
      } catch (ApiException e) {
        answer = CompletableFuture.failedFuture(e);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      answer.whenComplete((bytes, error) -> {
        if (error == null) {
          send(response, 200, contentTypes.getOrDefault(method + " " + path, NodeHttp.PROTOBUF), bytes, done);
          return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ApiException api) {
          send(response, api.status(), NodeHttp.PROTOBUF, errorBody(api.code(), api.getMessage()), done);
        } else {
          LOG.warn("internal error on {}: {}", path, cause.toString());
          send(response, 500, NodeHttp.PROTOBUF, errorBody("INTERNAL", "internal error: " + cause.getClass().getSimpleName()),
              done);
        }
      });
      return true;
    }
  }

  private static void handleHttp(HttpHandler http, String path, Request request, Response response, Callback callback) {
    HttpAnswer answer;
    try {
      byte[] body = "GET".equals(request.getMethod()) ? new byte[0] : readBody(request);
      answer = http.handle(body, request.getHttpURI().getQuery());
    } catch (ApiException e) {
      answer = HttpAnswer.json(e.status(), errorJson(e.code(), e.getMessage()));
    } catch (RuntimeException e) {
      LOG.warn("internal error on {}: {}", path, e.toString());
      answer = HttpAnswer.json(500, errorJson("INTERNAL", "internal error: " + e.getClass().getSimpleName()));
    }
    send(response, answer.status(), answer.contentType(), answer.body(), callback);
  }

  private static void handleFromCaller(CallerHttpHandler handler, String path, Request request, Response response,
      Callback callback) {
    CallerAnswer answer;
    try {
      byte[] body = "GET".equals(request.getMethod()) ? new byte[0] : readBody(request);
      answer = handler.handle(body, request.getHttpURI().getQuery(), Request.getRemoteAddr(request));
    } catch (ApiException e) {
      answer = new CallerAnswer(HttpAnswer.json(e.status(), errorJson(e.code(), e.getMessage())), Map.of());
    } catch (RuntimeException e) {
      LOG.warn("internal error on {}: {}", path, e.toString());
      answer = new CallerAnswer(HttpAnswer.json(500, errorJson("INTERNAL", "internal error: "
          + e.getClass().getSimpleName())), Map.of());
    }
    answer.headers().forEach((name, value) -> response.getHeaders().put(name, value));
    HttpAnswer http = answer.answer();
    send(response, http.status(), http.contentType(), http.body(), callback);
  }

  /** {@code callback}, which first tells the observer the request's route, method, status and duration. */
  private Callback observed(Callback callback, String route, String method, Response response, long started) {
    return Callback.from(() -> {
      report(route, method, response.getStatus(), started);
      callback.succeeded();
    }, failure -> {
      report(route, method, response.getStatus(), started);
      callback.failed(failure);
    });
  }

  private void report(String route, String method, int status, long started) {
    try {
      observer.observed(route, method, status, System.nanoTime() - started);
    } catch (RuntimeException e) {
      LOG.warn("request observer failed: {}", e.toString());
    }
  }

  private String prefixOf(String path) {
    for (String prefix : prefixes.keySet()) {
      if (path.equals(prefix) || path.startsWith(prefix + "/")) {
        return prefix;
      }
    }
    return null;
  }

  private static final String CORS_ALLOW_HEADERS = "Content-Type, Accept";

  private static void handlePrefix(PrefixHandler handler, String prefix, String path, Request request,
      Response response, Callback callback) {
    String method = request.getMethod();
    response.getHeaders().put("Access-Control-Allow-Origin", "*");
    if ("OPTIONS".equals(method)) {
      response.getHeaders().put("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      response.getHeaders().put("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
      send(response, 204, "text/plain", new byte[0], callback);
      return;
    }
    CompletableFuture<HttpAnswer> answer;
    try {
      byte[] body = "GET".equals(method) || "HEAD".equals(method) ? new byte[0] : readBody(request);
      String relative = path.substring(prefix.length());
      answer = handler.handle(new AppRequest(method, relative.isEmpty() ? "/" : relative,
          request.getHttpURI().getQuery(), request.getHeaders().get(HttpHeader.ACCEPT), body));
    } catch (ApiException e) {
      answer = CompletableFuture.completedFuture(HttpAnswer.json(e.status(), errorJson(e.code(), e.getMessage())));
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((a, error) -> {
      if (error == null) {
        send(response, a.status(), a.contentType(), a.body(), callback);
      } else {
        LOG.warn("internal error on {}: {}", path, error.getClass().getName());
        send(response, 500, "application/json", errorJson("INTERNAL", "internal error").getBytes(
            java.nio.charset.StandardCharsets.UTF_8), callback);
      }
    });
  }

  /** The JSON error body of JSON routes and app prefixes: {@code {"code": ..., "detail": ...}}. */
  public static String errorJson(String code, String message) {
    var node = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    node.put("code", code).put("detail", message);
    return node.toString();
  }

  private static byte[] readBody(Request request) throws ApiException {
    long declared = request.getLength();
    try (InputStream in = Content.Source.asInputStream(request)) {
      // A body over the limit is still read up to it below before the refusal: an HTTP/1.1 client still
      // sending would otherwise see its connection reset instead of the 413.
      if (declared >= 0 && declared <= BODY_BYTES_MAX) {
        // Read into an array of the declared length: readNBytes(limit) fills 16 KiB buffers and copies
        // the body out of them, 20 KiB allocated for a 4 KiB body, on every client request.
        byte[] body = new byte[(int) declared];
        int read = in.readNBytes(body, 0, body.length);
        // Jetty frames the body by its Content-Length (HTTP/1.1) or resets a stream whose data does not match it
        // (HTTP/2), so it is never longer; an early end is usually an IOException below, this when it is not.
        if (read < body.length) {
          throw new ApiException(400, "BAD_BODY", "request body ended after " + read + " of its declared " + declared
              + " bytes");
        }
        return body;
      }
      byte[] body = in.readNBytes(BODY_BYTES_MAX + 1);
      if (body.length > BODY_BYTES_MAX) {
        throw new ApiException(413, "BODY_TOO_LARGE", "request body is larger than " + BODY_BYTES_MAX + " bytes");
      }
      return body;
    } catch (IOException e) {
      throw new ApiException(400, "BAD_BODY", "cannot read the request body: " + e.getMessage());
    }
  }

  private static byte[] errorBody(String code, String message) {
    return ApiError.newBuilder().setCode(code).setMessage(message).build().toByteArray();
  }

  private static void send(Response response, int status, String contentType, byte[] body, Callback callback) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("https api did not stop cleanly: {}", e.toString());
    }
  }
}
