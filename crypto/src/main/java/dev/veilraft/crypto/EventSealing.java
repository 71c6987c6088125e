package dev.veilraft.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.proto.SealedResponse;
import java.util.function.Supplier;

/**
 * How client events are sealed to the group and responses sealed back. Both sides live here so
 * they cannot drift apart: the client SDK seals requests and opens responses; every replica opens
 * requests and seals responses inside apply (deterministically: the response nonce comes from the
 * log index, the response key from the request's HPKE context).
 */
public final class EventSealing {
  private static final byte[] EVENT_LABEL = Hashes.utf8("veilraft/event/v1");
  /** Queries use their own HPKE info, so a query can never be replayed as an event, nor the reverse. */
  private static final byte[] QUERY_LABEL = Hashes.utf8("veilraft/query/v1");
  private static final byte[] RESPONSE_LABEL = Hashes.utf8("veilraft/response/v1");
  private static final int RESPONSE_KEY_BYTES = 32;
  /** Stands in for the ciphertext of an answer whose size is wanted before it is sealed. */
  private static final ByteString SHAPE_ZEROS = UnsafeByteOperations.unsafeWrap(new byte[64 * 1024]);

  private EventSealing() {}

  /** HPKE info of a request: label || cluster id || epoch. */
  public static byte[] requestInfo(byte[] clusterId, long epoch) {
    return Hashes.concat(EVENT_LABEL, clusterId, Hashes.u64(epoch));
  }

  private static byte[] queryInfo(byte[] clusterId, long epoch) {
    return Hashes.concat(QUERY_LABEL, clusterId, Hashes.u64(epoch));
  }

  /** A request sealed by a client, with the key that opens its response. */
  public record ClientSealed(SealedRequest request, byte[] responseKey) {}

  /** Client side: seals an event to the epoch's group public key. */
  public static ClientSealed sealRequest(byte[] groupPublicKey, byte[] clusterId, long epoch, byte[] event)
      throws CryptoException {
    return seal(groupPublicKey, clusterId, epoch, event, requestInfo(clusterId, epoch));
  }

  /** Client side: seals a read-only query (an {@code Event} too) to the epoch's group public key. */
  public static ClientSealed sealQuery(byte[] groupPublicKey, byte[] clusterId, long epoch, byte[] query)
      throws CryptoException {
    return seal(groupPublicKey, clusterId, epoch, query, queryInfo(clusterId, epoch));
  }

  private static ClientSealed seal(byte[] groupPublicKey, byte[] clusterId, long epoch, byte[] event, byte[] info)
      throws CryptoException {
    Hpke.Sender sender = Hpke.sender(groupPublicKey, info);
    byte[] ciphertext = sender.seal(new byte[0], event);
    SealedRequest request = SealedRequest.newBuilder()
        .setClusterId(ByteString.copyFrom(clusterId))
        .setEpoch(epoch)
        .setEncapsulatedKey(ByteString.copyFrom(sender.encapsulatedKey()))
        .setCiphertext(ByteString.copyFrom(ciphertext))
        .build();
    return new ClientSealed(request, sender.export(RESPONSE_LABEL, RESPONSE_KEY_BYTES));
  }

  /**
   * A request opened by a replica, with the key to seal its response. A session request's key is
   * derived the first time it is asked for ({@link #deriving}): every replica opens each event, but
   * only the one that answers it needs the key. Thread-safe.
   */
  public static final class Opened {
    private final byte[] event;
    private final Supplier<byte[]> responseKey;

    public Opened(byte[] event, byte[] responseKey) {
      this(event, () -> responseKey);
    }

    private Opened(byte[] event, Supplier<byte[]> responseKey) {
      this.event = event;
      this.responseKey = responseKey;
    }

    /**
     * An opened request whose response key {@code derivation} computes when first asked; it must
     * compute it once and be thread-safe (a follower's answer may be sealed on any thread).
     */
    public static Opened deriving(byte[] event, Supplier<byte[]> derivation) {
      return new Opened(event, derivation);
    }

    /** The event's plaintext. */
    public byte[] event() {
      return event;
    }

    /**
     * The key of the response (derived now if it was not yet).
     *
     * @throws dev.veilraft.crypto.seal.EpochSecretsErasedException when a session request's key was
     *     not derived before this replica erased its epoch's secrets
     */
    public byte[] responseKey() {
      return responseKey.get();
    }

    /** {@link #responseKey} for later, without the event's plaintext: for an answer sealed when read. */
    public Supplier<byte[]> responseKeyLater() {
      return responseKey;
    }
  }

  /** Group side: opens a request with the epoch's group key. */
  public static Opened openRequest(EpochSecret epochSecret, byte[] clusterId, SealedRequest request)
      throws CryptoException {
    return open(epochSecret, request, requestInfo(clusterId, epochSecret.epoch()));
  }

  /** Group side: opens a query with the epoch's group key. */
  public static Opened openQuery(EpochSecret epochSecret, byte[] clusterId, SealedRequest query)
      throws CryptoException {
    return open(epochSecret, query, queryInfo(clusterId, epochSecret.epoch()));
  }

  private static Opened open(EpochSecret epochSecret, SealedRequest request, byte[] info) throws CryptoException {
    Hpke.Receiver receiver = Hpke.receiver(epochSecret.groupKeyPair(), request.getEncapsulatedKey().toByteArray(),
        info);
    byte[] event = receiver.open(new byte[0], request.getCiphertext().toByteArray());
    return new Opened(event, receiver.export(RESPONSE_LABEL, RESPONSE_KEY_BYTES));
  }

  /** Group side, inside apply: seals the response of an entry's only event; deterministic for a given log index. */
  public static SealedResponse sealResponse(byte[] responseKey, long epoch, long logIndex, byte[] response) {
    return sealResponse(responseKey, epoch, logIndex, 0, response);
  }

  /**
   * Group side, inside apply: seals the response of the event at {@code position} of the entry at
   * {@code logIndex} (0 for an entry that carries one event); deterministic for a given (index,
   * position). The position goes into the nonce, so two events of one grouped entry that share a
   * response key (the same request carried twice) still never share a (key, nonce) pair.
   */
  public static SealedResponse sealResponse(byte[] responseKey, long epoch, long logIndex, int position,
      byte[] response) {
    byte[] ciphertext = DeterministicCipher.encrypt(responseKey,
        DeterministicCipher.nonceForEntryPosition(logIndex, position), response, responseAad(epoch, logIndex));
    return frame(epoch, logIndex, position, UnsafeByteOperations.unsafeWrap(ciphertext));
  }

  /**
   * What {@link #sealResponse} returns for a response of {@code responseBytes} bytes, with zeros
   * for ciphertext: the same fields and lengths, so the same serialized size, without sealing.
   */
  public static SealedResponse sealedResponseShape(long epoch, long logIndex, int position, int responseBytes) {
    int ciphertextBytes = responseBytes + DeterministicCipher.TAG_BYTES;
    ByteString zeros = ciphertextBytes <= SHAPE_ZEROS.size() ? SHAPE_ZEROS.substring(0, ciphertextBytes)
        : UnsafeByteOperations.unsafeWrap(new byte[ciphertextBytes]);
    return frame(epoch, logIndex, position, zeros);
  }

  private static SealedResponse frame(long epoch, long logIndex, int position, ByteString ciphertext) {
    SealedResponse.Builder sealed = SealedResponse.newBuilder().setEpoch(epoch).setLogIndex(logIndex)
        .setCiphertext(ciphertext);
    if (position != 0) {
      sealed.setEntryPosition(position);
    }
    return sealed.build();
  }

  /** Client side: opens the response to its own request (at whatever position of its entry it was applied). */
  public static byte[] openResponse(byte[] responseKey, SealedResponse response) throws CryptoException {
    // uint64 on the wire: 2^63 and above arrive as negative longs and must not wrap into a small position.
    if (response.getEntryPosition() < 0 || response.getEntryPosition() > Integer.MAX_VALUE) {
      throw new CryptoException("response names entry position " + Long.toUnsignedString(response.getEntryPosition())
          + ", more than any entry holds");
    }
    return DeterministicCipher.decrypt(responseKey,
        DeterministicCipher.nonceForEntryPosition(response.getLogIndex(), (int) response.getEntryPosition()),
        response.getCiphertext().toByteArray(), responseAad(response.getEpoch(), response.getLogIndex()));
  }

  private static byte[] responseAad(long epoch, long logIndex) {
    return Hashes.concat(RESPONSE_LABEL, Hashes.u64(epoch), Hashes.u64(logIndex));
  }

  /** Seals a secret to one node's KEM key. */
  public static HpkeWrap wrap(String nodeId, byte[] kemPublicKey, byte[] info, byte[] secret) throws CryptoException {
    Hpke.Sealed sealed = Hpke.seal(kemPublicKey, Hashes.concat(info, Hashes.utf8(nodeId)), new byte[0], secret);
    return HpkeWrap.newBuilder().setNodeId(nodeId)
        .setEncapsulatedKey(ByteString.copyFrom(sealed.encapsulatedKey()))
        .setCiphertext(ByteString.copyFrom(sealed.ciphertext())).build();
  }

  /** Opens a secret wrapped to this node. */
  public static byte[] unwrap(KemKeyPair kem, byte[] info, HpkeWrap wrap) throws CryptoException {
    return Hpke.open(kem, Hashes.concat(info, Hashes.utf8(wrap.getNodeId())), new byte[0],
        new Hpke.Sealed(wrap.getEncapsulatedKey().toByteArray(), wrap.getCiphertext().toByteArray()));
  }
}
