// In the sim/ folder but in package dev.veilraft.membership, next to the simulation that uses it.
package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Policy;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The real verifier, remembering each answer: verification is a pure function of its inputs, and
 * the simulation's determinism check applies every entry a second time, which would otherwise pay
 * for every P-384 signature check twice. Not thread-safe (the simulation has no threads).
 */
final class MemoizingVerifier implements EvidenceVerifier {
  /** Answers kept before the memo is cleared (a run makes a few hundred). */
  static final int entriesMax = 10_000;

  private record Key(ByteString evidence, ByteString policy, ByteString reportData, Instant at) {}

  private final EvidenceVerifier real = new AttestationVerifier();
  private final Map<Key, AttestationResult> answers = new HashMap<>();

  @Override
  public AttestationResult verify(Evidence evidence, Policy policy, byte[] expectedReportData, Instant at) {
    if (answers.size() >= entriesMax) {
      answers.clear();
    }
    Key key = new Key(evidence.toByteString(), policy.toByteString(),
        expectedReportData == null ? ByteString.EMPTY : ByteString.copyFrom(expectedReportData), at);
    return answers.computeIfAbsent(key, k -> real.verify(evidence, policy, expectedReportData, at));
  }
}
