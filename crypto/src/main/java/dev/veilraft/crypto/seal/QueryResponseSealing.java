package dev.veilraft.crypto.seal;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.DeterministicCipher;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.SealedResponse;
import org.bouncycastle.crypto.InvalidCipherTextException;

/**
 * How the answer to a read-only query (single-shot or session form) is sealed back: AES-256-GCM-SIV
 * (RFC 8452) under the query's response key, nonce from the applied index the replica reports, AAD =
 * {@code "veilraft/query-response/v1" || epoch || log index}.
 *
 * <p>Why not the AES-GCM of event responses: an event's answer is a deterministic function of its
 * log index, but a query reads the live store while apply keeps committing, so the answer labelled
 * index i may come from i+1; the same sealed query answered again at i (a replay, another replica)
 * then puts two different answers under one (key, nonce). Under AES-GCM that reveals the XOR of the
 * answers and the GHASH key (forgeries); under GCM-SIV the nonce-reuse case reveals only whether the
 * two answers are equal. The response key is only ever used for query answers (query requests are
 * bound to their kind), so GCM and GCM-SIV never share a key.
 */
public final class QueryResponseSealing {
  private static final byte[] QUERY_RESPONSE_LABEL = Hashes.utf8("veilraft/query-response/v1");

  private QueryResponseSealing() {}

  /** Replica side: seals the answer to a query, reported as read at {@code logIndex}. */
  public static SealedResponse seal(byte[] responseKey, long epoch, long logIndex, byte[] answer) {
    byte[] ciphertext;
    try {
      ciphertext = SessionSealing.gcmSiv(true, responseKey, DeterministicCipher.nonceForIndex(logIndex),
          aad(epoch, logIndex), answer);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("AES-GCM-SIV encryption failed", e);
    }
    return SealedResponse.newBuilder().setEpoch(epoch).setLogIndex(logIndex)
        .setCiphertext(ByteString.copyFrom(ciphertext)).build();
  }

  /** Client side: opens the answer to its own query. */
  public static byte[] open(byte[] responseKey, SealedResponse response) throws CryptoException {
    try {
      return SessionSealing.gcmSiv(false, responseKey, DeterministicCipher.nonceForIndex(response.getLogIndex()),
          aad(response.getEpoch(), response.getLogIndex()), response.getCiphertext().toByteArray());
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw new CryptoException("query response does not authenticate (altered, or not for this query)");
    }
  }

  private static byte[] aad(long epoch, long logIndex) {
    return Hashes.concat(QUERY_RESPONSE_LABEL, Hashes.u64(epoch), Hashes.u64(logIndex));
  }
}
