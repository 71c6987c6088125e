package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.AppRejectedException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The front end's typed access to the replicated mint through the {@link AppGateway}: requests
 * are committed, queries read committed state (linearizable, so a wallet that swapped on one
 * node sees the result on another). A refusal by the app completes the future with a
 * {@link MintRefusal} (wrapped in {@link CompletionException}); other failures keep their type.
 * Keysets are cached: they are public and only ever added to.
 */
final class MintClient {
  /** What the front end knows of the keysets: by id in the mint's order, and the identity key. */
  record KeysView(Map<String, Keyset> byId, String pubkey) {
    KeysView {
      byId = Collections.unmodifiableMap(new LinkedHashMap<>(byId));
    }
  }

  /**
   * How long the front end waits for the cluster to commit or answer; after that the wallet is
   * told to retry (the request may still be applied: the app makes a repeat harmless or refuses it).
   */
  static final long GATEWAY_TIMEOUT_SECONDS = 60;

  private final AppGateway gateway;
  private final AtomicReference<KeysView> keys = new AtomicReference<>();

  MintClient(AppGateway gateway) {
    this.gateway = gateway;
  }

  CompletableFuture<ObjectNode> submit(MintRequest request) {
    return parse(gateway.submit(CashuMintApp.NAME, request.encode()));
  }

  CompletableFuture<ObjectNode> query(MintRequest request) {
    return parse(gateway.query(CashuMintApp.NAME, request.encode(), true).thenApply(AppGateway.QueryAnswer::response));
  }

  /**
   * The keysets, from the cache unless {@code refresh}; the first call on a fresh mint commits
   * the setup request that creates the first keyset inside the group.
   */
  CompletableFuture<KeysView> keys(boolean refresh) {
    KeysView cached = keys.get();
    if (cached != null && !refresh) {
      return CompletableFuture.completedFuture(cached);
    }
    return query(new MintRequest.Keys()).thenCompose(answer -> answer.path("keysets").isEmpty()
        ? submit(new MintRequest.Setup()) : CompletableFuture.completedFuture(answer))
        .thenApply(answer -> {
          KeysView view = view(answer);
          keys.set(view);
          return view;
        });
  }

  private static KeysView view(ObjectNode answer) {
    Map<String, Keyset> byId = new LinkedHashMap<>();
    try {
      for (JsonNode node : answer.path("keysets")) {
        Keyset keyset = Keyset.fromRecord(node);
        byId.put(keyset.id(), keyset);
      }
    } catch (MintRefusal e) {
      throw new IllegalStateException("the mint's keys answer does not parse: " + e.getMessage(), e);
    }
    JsonNode pubkey = answer.path("pubkey");
    return new KeysView(byId, pubkey.isTextual() ? pubkey.textValue() : null);
  }

  private static CompletableFuture<ObjectNode> parse(CompletableFuture<byte[]> answer) {
    return answer.copy().orTimeout(GATEWAY_TIMEOUT_SECONDS, TimeUnit.SECONDS).handle((bytes, failure) -> {
      if (failure != null) {
        Throwable cause = unwrap(failure);
        if (cause instanceof AppRejectedException rejected) {
          MintRefusal refusal = MintRefusal.fromAppMessage(rejected.getMessage());
          throw new CompletionException(refusal != null ? refusal : rejected);
        }
        throw new CompletionException(cause);
      }
      try {
        return CashuJson.parseObject(bytes, "the mint's answer");
      } catch (MintRefusal e) {
        throw new CompletionException(new IllegalStateException("the mint answered with bytes that do not parse: "
            + e.getMessage()));
      }
    });
  }

  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
