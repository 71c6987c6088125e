package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Policy;
import java.time.Instant;

/**
 * Verifies evidence: platform checks (signature, chain, report fields), then policy checks
 * (measurement, debug, TCB floor, report-data binding). Never reads the clock: certificate
 * validity is judged at {@code at}. Never throws on bad evidence: it returns a rejection.
 */
public interface EvidenceVerifier {
  AttestationResult verify(Evidence evidence, Policy policy, byte[] expectedReportData, Instant at);
}
