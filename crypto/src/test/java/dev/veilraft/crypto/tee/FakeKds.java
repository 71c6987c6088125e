package dev.veilraft.crypto.tee;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real HTTP server on 127.0.0.1 standing in for AMD KDS: each path answers from a queue of
 * scripted responses (the last one repeats), unknown paths answer 404, and every request is recorded.
 */
final class FakeKds implements AutoCloseable {
  /** One scripted answer. */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    static Answer ok(byte[] body) {
      return new Answer(200, Map.of(), body);
    }

    static Answer status(int status) {
      return new Answer(status, Map.of(), new byte[0]);
    }

    static Answer rateLimited(String retryAfter) {
      return new Answer(429, Map.of("Retry-After", retryAfter), new byte[0]);
    }
  }

  private final HttpServer server;
  private final Map<String, Deque<Answer>> answers = new HashMap<>();
  final List<URI> requests = Collections.synchronizedList(new ArrayList<>());

  FakeKds() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI baseUri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Scripts the answers to {@code path} (query ignored), in order. */
  synchronized FakeKds on(String path, Answer... scripted) {
    answers.put(path, new ArrayDeque<>(List.of(scripted)));
    return this;
  }

  long requestsTo(String path) {
    synchronized (requests) {
      return requests.stream().filter(uri -> uri.getPath().equals(path)).count();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.add(exchange.getRequestURI());
    Answer answer;
    synchronized (this) {
      Deque<Answer> queue = answers.get(exchange.getRequestURI().getPath());
      answer = queue == null ? Answer.status(404) : queue.size() > 1 ? queue.poll() : queue.peek();
    }
    answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
    exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
    if (answer.body().length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer.body());
      }
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
