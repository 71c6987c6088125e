package dev.veilraft.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.SealedResponse;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The Java SDK: verifies a cluster against the client's own policy, seals each request to the
 * epoch's group key, posts it to a node and opens the sealed response. Thread-safe.
 */
public final class VeilraftClient {
  private final URI baseUri;
  private final Policy policy;
  private final EvidenceVerifier verifier;
  private final Clock clock;
  private final byte[] expectedClusterId;
  private final NodeHttp http = new NodeHttp();
  private final SecureRandom random = new SecureRandom();
  private volatile ClusterDescriptions.Verified cluster;

  private VeilraftClient(URI baseUri, Policy policy, EvidenceVerifier verifier, Clock clock, byte[] expectedClusterId) {
    this.baseUri = baseUri;
    this.policy = policy;
    this.verifier = verifier;
    this.clock = clock;
    this.expectedClusterId = expectedClusterId == null ? null : expectedClusterId.clone();
  }

  /**
   * Connects to a node (https://host:port) and verifies the cluster it describes against the
   * client's own policy. {@code expectedClusterId} may be null to accept any cluster that passes.
   */
  public static VeilraftClient connect(URI baseUri, Policy policy, EvidenceVerifier verifier, Clock clock,
      byte[] expectedClusterId) throws ClientException {
    VeilraftClient client = new VeilraftClient(baseUri, policy, verifier, clock, expectedClusterId);
    client.refresh();
    return client;
  }

  /** Fetches and verifies the cluster description again (after a key rotation). */
  public ClusterDescriptions.Verified refresh() throws ClientException {
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    NodeHttp.Answer answer = http.get(baseUri.resolve("/v1/cluster?nonce=" + Hashes.hex(nonce)));
    ClusterDescriptions.Verified verified = ClusterDescriptions.verify(answer.body(), nonce, answer.tlsPeer(),
        expectedClusterId, policy, verifier, clock.instant());
    http.pin(verified.members().keySet());
    cluster = verified;
    return verified;
  }

  public ClusterDescriptions.Verified cluster() {
    return cluster;
  }

  /** Sends one request to an app and returns its response bytes. */
  public byte[] call(String app, byte[] request) throws ClientException {
    try {
      return callAsync(app, request).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof ClientException ce) {
        throw ce;
      }
      throw new ClientException("FAILED", String.valueOf(e.getCause()), e.getCause());
    }
  }

  /** Sends one request; on UNKNOWN_EPOCH (a key rotation since we looked) refreshes once and retries. */
  public CompletableFuture<byte[]> callAsync(String app, byte[] request) {
    return attempt(app, request).handle((r, e) -> {
      if (e == null) {
        return CompletableFuture.completedFuture(r);
      }
      Throwable cause = e instanceof CompletionException ? e.getCause() : e;
      if (cause instanceof ClientException ce && ce.code().equals("UNKNOWN_EPOCH")) {
        try {
          refresh();
        } catch (ClientException refreshFailed) {
          return CompletableFuture.<byte[]>failedFuture(refreshFailed);
        }
        return attempt(app, request);
      }
      return CompletableFuture.<byte[]>failedFuture(cause);
    }).thenCompose(f -> f);
  }

  private CompletableFuture<byte[]> attempt(String app, byte[] request) {
    ClusterDescriptions.Verified c = cluster;
    EventSealing.ClientSealed sealed;
    try {
      byte[] event = Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(request)).build().toByteArray();
      sealed = EventSealing.sealRequest(c.body().getGroupPublicKey().toByteArray(), c.clusterId(), c.body().getEpoch(), event);
    } catch (CryptoException e) {
      return CompletableFuture.failedFuture(new ClientException("SEAL_FAILED", e.getMessage(), e));
    }
    return http.postAsync(baseUri.resolve("/v1/events"), sealed.request().toByteArray()).thenApply(body -> {
      try {
        SealedResponse sealedResponse = SealedResponse.parseFrom(body);
        EventResult result = EventResult.parseFrom(EventSealing.openResponse(sealed.responseKey(), sealedResponse));
        if (result.getStatus() != EventResult.Status.OK) {
          throw new CompletionException(new ClientException("REJECTED", result.getError()));
        }
        return result.getResponse().toByteArray();
      } catch (InvalidProtocolBufferException | CryptoException e) {
        throw new CompletionException(new ClientException("BAD_RESPONSE", "response does not open: " + e.getMessage(), e));
      }
    });
  }

  @Override
  public String toString() {
    return "VeilraftClient{" + baseUri + ", cluster=" + (cluster == null ? "?" : Hashes.shortHex(cluster.clusterId(), 8)) + "}";
  }
}
