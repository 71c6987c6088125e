/**
 * Remote attestation: evidence formats, attesters, and the two-layer verifier.
 *
 * <p>Main types:
 * <ul>
 *   <li>{@link dev.veilraft.crypto.attestation.AttestationVerifier}: the {@code EvidenceVerifier} every
 *       module uses. Platform layer ({@link dev.veilraft.crypto.attestation.SnpEvidenceVerifier},
 *       {@link dev.veilraft.crypto.attestation.TdxEvidenceVerifier},
 *       {@link dev.veilraft.crypto.attestation.NitroEvidenceVerifier}: format, signatures, chain to a
 *       pinned vendor root, endorsement consistency) then policy layer
 *       ({@link dev.veilraft.crypto.attestation.PolicyChecks}: platform, debug, guest policy, measurement,
 *       host data, TCB floor and status, report-data binding). Each rejection has a specific
 *       {@link dev.veilraft.crypto.attestation.RejectReason} and a message naming the offending value.
 *       Measurement, host data and TCB come from the policy's entry for the evidence's platform
 *       ({@link dev.veilraft.crypto.attestation.ReferenceValues}), so one group can mix platforms.</li>
 *   <li>{@link dev.veilraft.crypto.attestation.Claims#platformInstanceId()}: which chip, machine or
 *       enclave host produced the evidence (SNP CHIP_ID, SHA-256 of the TDX PCK key, Nitro module id).</li>
 *   <li>{@link dev.veilraft.crypto.attestation.SnpReport} / {@link dev.veilraft.crypto.attestation.SnpReportBuilder}:
 *       the 1184-byte SEV-SNP ATTESTATION_REPORT.</li>
 *   <li>{@code Simulated*}: the INSECURE simulated TEEs. {@code SimulatedSnp{Vendor,Chip,Attester}}
 *       produce the SEV-SNP layout under a simulated ARK/ASK/VCEK chain;
 *       {@code SimulatedTdx{Vendor,Machine,Attester}} produce DCAP TDX quotes under a simulated
 *       SGX root/PCK CA/PCK chain. Both run the real verification code path; the two vendors can
 *       share one directory.</li>
 *   <li>{@link dev.veilraft.crypto.attestation.CodeMeasurement}: the simulated launch measurement.</li>
 * </ul>
 *
 * <p>Invariants: verification never reads the clock (certificate validity is judged at the caller's
 * instant), never uses randomness, and never throws on bad evidence, so replicas applying the same
 * entry reach the same verdict. Real SEV_SNP evidence is trusted only under AMD's ARKs, pinned by
 * the SHA-256 of their DER, real TDX only under Intel's pinned root; simulated evidence only under
 * the root its policy names for its format, and only when the policy allows simulation.
 *
 * <p>Caller's duties: pass a fresh nonce into {@link dev.veilraft.crypto.attestation.ReportData#bind}
 * and check the same binding when verifying; pass the leader-stamped time as the instant, not the
 * local clock; never set {@code allow_simulated} or {@code allow_debug} in a production policy.
 * Real-hardware attesters and AMD KDS access live in {@code dev.veilraft.crypto.tee}.
 */
package dev.veilraft.crypto.attestation;
