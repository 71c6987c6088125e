package dev.veilraft.node.apps;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.AppRejectedException;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.KeyedHash;
import dev.veilraft.crypto.MemberEventTag;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.seal.ClientSession;
import dev.veilraft.crypto.seal.ClientSessions;
import dev.veilraft.crypto.seal.QueryResponseSealing;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The node as a client of its own cluster, for app front ends whose users speak plain HTTPS or
 * WebSocket (Cashu wallets, Nostr clients): each request is sealed to the group key like any
 * client's (in a client session per epoch), so it enters the Raft log as ciphertext, and the
 * sealed answer is opened here, inside the TEE. A request sealed to an epoch that a rotation
 * replaced meanwhile is sealed again, at most {@link #EPOCH_RETRIES_MAX} times.
 */
public final class NodeAppGateway implements AppGateway {
  static final int EPOCH_RETRIES_MAX = 2;

  private final VeilraftNode node;
  /** The member tag key of each epoch this gateway sealed to (only the current one is kept). */
  private final java.util.Map<Long, KeyedHash> tagKeys = new java.util.concurrent.ConcurrentHashMap<>();
  /** The sealing session of the newest epoch this gateway sealed to. */
  private final ClientSessions sessions = new ClientSessions();

  public NodeAppGateway(VeilraftNode node) {
    this.node = node;
    // After a rotation the old epoch's session and tag key would only be refused: drop them at once
    // rather than keep them in memory until this gateway's next request.
    node.replica().addListener(this::epochChanged);
  }

  /** Drops what belongs to epochs other than the view's (runs on the apply thread: cheap, no I/O). */
  void epochChanged(MembershipView view) {
    sessions.retainOnly(view.epoch());
    tagKeys.keySet().removeIf(e -> e != view.epoch());
  }

  /** The current sealing session (null before the first request or after a rotation); for tests. */
  ClientSession currentSession() {
    return sessions.current();
  }

  @Override
  public CompletableFuture<byte[]> submit(String app, byte[] request) {
    return attempt(0, view -> seal(view, ClientSessions.Kind.EVENT, event(view, app, request)),
        sealed -> node.submitAsync(Proposal.newBuilder().setClientEvent(sealed.request()).build()),
        (sealed, result) -> open(false, sealed, result));
  }

  /**
   * The answer's {@code readFrom} is the index the replica labelled it with (its applied index
   * before the reads), {@code readThrough} this node's {@link dev.veilraft.consensus.Replica#readIndexBound}
   * once the answer is back: this node's replica answered it, stale or linearizable.
   */
  @Override
  public CompletableFuture<QueryAnswer> query(String app, byte[] request, boolean linearizable) {
    return attempt(0, view -> seal(view, ClientSessions.Kind.QUERY, event(view, app, request)),
        sealed -> node.queryAsync(sealed.request().toByteArray(), !linearizable),
        (sealed, result) -> new QueryAnswer(open(true, sealed, result), result.getSealedResponse().getLogIndex(),
            node.replica().readIndexBound()));
  }

  /** Seals in this gateway's session of the view's epoch (re-keyed on a new epoch or exhaustion, see ClientSessions). */
  private EventSealing.ClientSealed seal(MembershipView view, ClientSessions.Kind kind, byte[] plaintext)
      throws CryptoException {
    return sessions.seal(view.groupPublicKey(), node.genesis().clusterId(), view.epoch(), kind, plaintext);
  }

  /**
   * The event, tagged as a member front end's ({@link MemberEventTag}) under the epoch it is
   * sealed to, so the app may trust what this node's front end vouches for (a Lightning payment).
   */
  private byte[] event(MembershipView view, String app, byte[] request) throws CryptoException {
    EpochSecret secret = node.replica().keyring().get(view.epoch()).orElseThrow(() -> new CryptoException(
        "this node does not hold the secret of epoch " + view.epoch() + " and cannot vouch for its front end's requests"));
    KeyedHash key = tagKeys.computeIfAbsent(view.epoch(), e -> MemberEventTag.key(secret));
    tagKeys.keySet().removeIf(e -> e < view.epoch());
    return Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(request))
        .setMemberTag(ByteString.copyFrom(MemberEventTag.tag(key, app, request, new byte[0], 0))).build().toByteArray();
  }

  @FunctionalInterface
  private interface Sealer {
    EventSealing.ClientSealed seal(MembershipView view) throws CryptoException;
  }

  private <T> CompletableFuture<T> attempt(int retries, Sealer sealer,
      Function<EventSealing.ClientSealed, CompletableFuture<ApplyResult>> send,
      BiFunction<EventSealing.ClientSealed, ApplyResult, T> open) {
    MembershipView view = node.replica().view();
    if (!view.initialized() || view.epoch() == 0) {
      return CompletableFuture.failedFuture(new NodeException("NOT_READY", "this node has not applied a key epoch yet"));
    }
    EventSealing.ClientSealed sealed;
    try {
      sealed = sealer.seal(view);
    } catch (CryptoException e) {
      return CompletableFuture.failedFuture(new NodeException("SEAL_FAILED", "cannot seal to epoch " + view.epoch()
          + ": " + e.getMessage(), e));
    }
    return send.apply(sealed).thenCompose(result -> {
      if (result.hasError()) {
        if (result.getError().getCode().equals("UNKNOWN_EPOCH") && retries < EPOCH_RETRIES_MAX) {
          return attempt(retries + 1, sealer, send, open);
        }
        return CompletableFuture.failedFuture(new NodeException(result.getError().getCode(),
            result.getError().getMessage()));
      }
      return CompletableFuture.completedFuture(open.apply(sealed, result));
    });
  }

  /** Opens an answer: an event's is AES-GCM (per log index), a query's AES-GCM-SIV ({@link QueryResponseSealing}). */
  private static byte[] open(boolean query, EventSealing.ClientSealed sealed, ApplyResult result) {
    EventResult opened;
    try {
      opened = EventResult.parseFrom(query ? QueryResponseSealing.open(sealed.responseKey(), result.getSealedResponse())
          : EventSealing.openResponse(sealed.responseKey(), result.getSealedResponse()));
    } catch (CryptoException | InvalidProtocolBufferException e) {
      throw new CompletionException(new NodeException("BAD_RESPONSE", "the sealed answer does not open: "
          + e.getMessage(), e));
    }
    if (opened.getStatus() != EventResult.Status.OK) {
      throw new AppRejectedException(opened.getError());
    }
    return opened.getResponse().toByteArray();
  }
}
