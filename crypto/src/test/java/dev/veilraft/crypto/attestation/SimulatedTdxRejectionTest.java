package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulated TDX evidence that must be refused, each case with its specific reason: tampered
 * quotes, QE reports and PCK chains, the wrong root, the wrong label, and policy failures.
 */
class SimulatedTdxRejectionTest {
  static final byte[] MEASUREMENT = SimulatedTdxAttestationTest.MEASUREMENT;
  static final byte[] REPORT_DATA = SimulatedTdxAttestationTest.REPORT_DATA;
  static final Instant AT = SimulatedTdxAttestationTest.AT;
  /** Offsets in a v4 quote: body after the 48-byte header; certification data after body, length, signature and key. */
  static final int BODY = TdxQuote.HEADER_BYTES;
  static final int QE_REPORT = BODY + TdxQuote.BODY_TDX_10_BYTES + 4 + 64 + 64 + 6;
  static final int QE_AUTH_DATA = QE_REPORT + TdxQeReport.BYTES + 64 + 2;
  static final int ATTESTATION_KEY = BODY + TdxQuote.BODY_TDX_10_BYTES + 4 + 64;

  @TempDir static Path dir;
  static SimulatedTdxVendor vendor;
  static SimulatedTdxVendor otherVendor;
  static SimulatedTdxMachine machine;
  static SimulatedTdxMachine sameVendorMachine;
  static SimulatedTdxMachine otherVendorMachine;
  static byte[] quote;
  static final AttestationVerifier verifier = new AttestationVerifier();

  @BeforeAll
  static void createVendorsAndMachines() throws Exception {
    vendor = SimulatedTdxVendor.openOrCreate(dir.resolve("vendor"));
    otherVendor = SimulatedTdxVendor.openOrCreate(dir.resolve("other-vendor"));
    machine = SimulatedTdxMachine.openOrCreate(dir.resolve("machine"), vendor);
    sameVendorMachine = SimulatedTdxMachine.openOrCreate(dir.resolve("machine-2"), vendor);
    otherVendorMachine = SimulatedTdxMachine.openOrCreate(dir.resolve("machine-3"), otherVendor);
    quote = SimulatedTdxAttester.create(machine, MEASUREMENT).attest(REPORT_DATA).getReport().toByteArray();
  }

  static Policy.Builder policy() {
    return Policy.newBuilder().setName("sim-tdx-strict").setAllowSimulated(true)
        .setSimulatedTdxRootSha256(ByteString.copyFrom(vendor.rootSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT));
  }

  static Evidence evidence(byte[] report) {
    return Evidence.newBuilder().setPlatform(Platform.SIMULATED_TDX).setReport(ByteString.copyFrom(report)).build();
  }

  static AttestationResult verify(byte[] report) {
    return verifier.verify(evidence(report), policy().build(), REPORT_DATA, AT);
  }

  static byte[] flip(byte[] bytes, int offset) {
    byte[] copy = bytes.clone();
    copy[offset] ^= 0x01;
    return copy;
  }

  /** The quote with its certification data's PEM chain replaced by {@code chain}; every signature kept. */
  static byte[] withPckChain(byte[] quoteBytes, List<byte[]> chain) throws Exception {
    TdxQuote q = TdxQuote.parse(quoteBytes);
    StringBuilder text = new StringBuilder();
    for (byte[] der : chain) {
      text.append("-----BEGIN CERTIFICATE-----\n").append(Base64.getMimeEncoder().encodeToString(der))
          .append("\n-----END CERTIFICATE-----\n");
    }
    byte[] pem = Hashes.concat(text.toString().getBytes(StandardCharsets.US_ASCII), new byte[] {0});
    byte[] certificationData = Hashes.concat(q.qeReport().toByteArray(), q.qeReportSignature(),
        TdxQuoteBuilder.u16(q.qeAuthData().length), q.qeAuthData(), TdxQuoteBuilder.u16(TdxQuote.CERT_DATA_PCK_CHAIN_PEM),
        TdxQuoteBuilder.u32(pem.length), pem);
    byte[] signatureData = Hashes.concat(q.signature(), q.attestationKey(),
        TdxQuoteBuilder.u16(TdxQuote.CERT_DATA_QE_REPORT), TdxQuoteBuilder.u32(certificationData.length),
        certificationData);
    return Hashes.concat(q.signedBytes(), TdxQuoteBuilder.u32(signatureData.length), signatureData);
  }

  @Test
  void theRebuiltQuoteWithItsOwnChainStillVerifies() throws Exception {
    // Proves the chain-swapping helper changes nothing by itself, so the chain cases below test only the chain.
    AttestationResult result = verify(withPckChain(quote, machine.pckChain()));

    assertThat(result.accepted()).as(result.toString()).isTrue();
  }

  @Test
  void aTamperedHeaderOrBodyBreaksTheQuoteSignature() {
    // Proves user data, MRTD, REPORTDATA and TDATTRIBUTES are covered by the attestation key's signature.
    for (int offset : new int[] {TdxQuote.OFFSET_USER_DATA, BODY + TdxQuote.BODY_MRTD,
        BODY + TdxQuote.BODY_REPORT_DATA, BODY + TdxQuote.BODY_TD_ATTRIBUTES}) {
      AttestationResult result = verify(flip(quote, offset));

      assertThat(result.reason()).as("offset %d: %s", offset, result).isEqualTo(RejectReason.SIGNATURE_INVALID);
      assertThat(result.detail()).contains("quote signature");
    }
  }

  @Test
  void aSwappedAttestationKeyBreaksTheQuoteSignature() {
    // Proves the quote is checked under the attestation key it carries, so changing that key refuses it.
    AttestationResult result = verify(flip(quote, ATTESTATION_KEY + 10));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
  }

  @Test
  void aTamperedQeReportBreaksItsPckSignature() {
    // Proves the 384-byte QE report (its ISVSVN, its MRSIGNER) is signed by the PCK key.
    for (int field : new int[] {TdxQeReport.OFFSET_ISV_SVN, TdxQeReport.OFFSET_MR_SIGNER}) {
      AttestationResult result = verify(flip(quote, QE_REPORT + field));

      assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
      assertThat(result.detail()).contains("QE report signature");
    }
  }

  @Test
  void tamperedQeAuthDataBreaksTheAttestationKeyBinding() {
    // Proves the QE report data must be SHA-256(attestation key || QE auth data): altered auth data no longer matches.
    AttestationResult result = verify(flip(quote, QE_AUTH_DATA));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(result.detail()).contains("did not vouch for this attestation key");
  }

  @Test
  void aPckChainUnderAnotherSimulatedRootIsUntrusted() throws Exception {
    // Proves a chain ending in a simulated root the policy does not pin is refused before any signature under it counts.
    AttestationResult result = verify(withPckChain(quote, otherVendorMachine.pckChain()));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(result.detail()).contains("not the trusted root").contains("simulated TDX root");
  }

  @Test
  void anotherMachinesPckCannotVouchForThisQuotingEnclave() throws Exception {
    // Proves a valid chain of another machine of the same vendor does not verify this machine's QE report signature.
    AttestationResult result = verify(withPckChain(quote, sameVendorMachine.pckChain()));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(result.detail()).contains("QE report signature");
  }

  @Test
  void aForeignPckLeafUnderThePinnedRootIsUntrusted() throws Exception {
    // Proves a PCK leaf the pinned PCK CA did not sign breaks the chain, and a chain without its root is refused.
    AttestationResult foreignLeaf = verify(withPckChain(quote, List.of(otherVendorMachine.pckDer(), vendor.pckCaDer(),
        vendor.rootDer())));
    AttestationResult noRoot = verify(withPckChain(quote, List.of(machine.pckDer(), vendor.pckCaDer())));

    assertThat(foreignLeaf.reason()).as(foreignLeaf.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(foreignLeaf.detail()).contains("is not signed by the PCK CA");
    assertThat(noRoot.reason()).as(noRoot.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(noRoot.detail()).contains("no root certificate");
  }

  @Test
  void aRevokedPckAndAnExpiredChainAreRefused() throws Exception {
    // Proves the simulated vendor's PCK CRL revokes through the real CRL check, and validity is judged at the given instant.
    byte[] crl = vendor.issuePckCrl(List.of(Certificates.parse(machine.pckDer(), "pck").getSerialNumber()),
        AT.minusSeconds(3600), AT.plusSeconds(86_400));
    Evidence revoked = evidence(quote).toBuilder()
        .setCollateral(Collateral.newBuilder().addCrls(ByteString.copyFrom(crl))).build();

    AttestationResult revokedResult = verifier.verify(revoked, policy().build(), REPORT_DATA, AT);
    AttestationResult expired = verifier.verify(evidence(quote), policy().build(), REPORT_DATA,
        SimulatedTdxVendor.NOT_AFTER.plusSeconds(1));

    assertThat(revokedResult.reason()).as(revokedResult.toString()).isEqualTo(RejectReason.CERT_REVOKED);
    assertThat(expired.reason()).as(expired.toString()).isEqualTo(RejectReason.CERT_EXPIRED);
  }

  @Test
  void evidenceBoundToOtherReportDataIsAMismatch() {
    // Proves a genuine simulated quote for another nonce or key is REPORT_DATA_MISMATCH.
    byte[] other = ReportData.bind(Hashes.utf8("nonce-2"), Hashes.utf8("identity spki"), Hashes.utf8("kem public key"));
    AttestationResult result = verifier.verify(evidence(quote), policy().build(), other, AT);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }

  @Test
  void simulatedTdxNeedsAllowSimulatedAndItsOwnRoot() {
    // Proves SIMULATED_TDX is refused without allow_simulated, without a TDX simulated root, and under another vendor's root.
    AttestationResult notAllowed = verifier.verify(evidence(quote), policy().setAllowSimulated(false).build(),
        REPORT_DATA, AT);
    AttestationResult snpRootOnly = verifier.verify(evidence(quote), policy().clearSimulatedTdxRootSha256()
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.rootSha256())).build(), REPORT_DATA, AT);
    AttestationResult otherRoot = verifier.verify(evidence(quote), policy()
        .setSimulatedTdxRootSha256(ByteString.copyFrom(otherVendor.rootSha256())).build(), REPORT_DATA, AT);

    assertThat(notAllowed.reason()).isEqualTo(RejectReason.SIMULATED_NOT_ALLOWED);
    assertThat(notAllowed.detail()).contains("SIMULATED_TDX").contains("'sim-tdx-strict'");
    assertThat(snpRootOnly.reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(snpRootOnly.detail()).contains("simulated_tdx_root_sha256 is 0 bytes");
    assertThat(otherRoot.reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
  }

  @Test
  void simulatedQuotesLabelledTdxAreJudgedUnderIntelsRoot() {
    // Proves a simulated quote relabelled as real TDX fails the pinned Intel root, and the platform-only check refuses simulated TDX.
    Evidence relabelled = evidence(quote).toBuilder().setPlatform(Platform.TDX).build();
    AttestationResult asTdx = verifier.verify(relabelled, policy().build(), REPORT_DATA, AT);
    AttestationResult platformOnly = verifier.verifyPlatform(evidence(quote), AT);

    assertThat(asTdx.reason()).as(asTdx.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(asTdx.detail()).contains("Intel SGX Root CA");
    assertThat(platformOnly.reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(platformOnly.detail()).contains("simulated_tdx_root_sha256");
  }

  @Test
  void policyChecksApplyToSimulatedTdxClaims() throws Exception {
    // Proves debug TDs, foreign measurements, MRCONFIGIDs and TEE_TCB_SVNs below the floor each get their own reason.
    SimulatedTdxAttester debug = SimulatedTdxAttester.builder(machine, MEASUREMENT)
        .tdAttributes(SimulatedTdxAttester.TD_ATTRIBUTES_DEFAULT | TdxClaims.TD_ATTRIBUTES_DEBUG_BIT).build();
    byte[] otherMeasurement = MEASUREMENT.clone();
    otherMeasurement[100] ^= 1; // RTMR1 differs: run-time measurements count as much as MRTD.
    byte[] lowSvn = SimulatedTdxMachine.defaultTeeTcbSvn();
    lowSvn[0] = 1;

    assertThat(verify(debug.attest(REPORT_DATA).getReport().toByteArray()).reason())
        .isEqualTo(RejectReason.DEBUG_ENABLED);
    AttestationResult measurement = verify(SimulatedTdxAttester.create(machine, otherMeasurement).attest(REPORT_DATA)
        .getReport().toByteArray());
    assertThat(measurement.reason()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(measurement.detail()).contains("MRTD||RTMR0..3");
    AttestationResult hostData = verifier.verify(evidence(quote),
        policy().addAllowedHostData(ByteString.copyFrom(new byte[48])).addAllowedHostData(ByteString.copyFrom(
            Hashes.sha384(Hashes.utf8("config")))).build(), REPORT_DATA, AT);
    assertThat(hostData.accepted()).as("MRCONFIGID zero is listed").isTrue();
    AttestationResult foreignConfig = verifier.verify(evidence(quote),
        policy().addAllowedHostData(ByteString.copyFrom(Hashes.sha384(Hashes.utf8("config")))).build(), REPORT_DATA, AT);
    assertThat(foreignConfig.reason()).isEqualTo(RejectReason.HOST_DATA_NOT_ALLOWED);
    assertThat(foreignConfig.detail()).contains("MRCONFIGID");
    AttestationResult tcb = verifier.verify(SimulatedTdxAttester.builder(machine, MEASUREMENT).teeTcbSvn(lowSvn).build()
        .attest(REPORT_DATA), policy().setMinTdxTeeTcbSvn(ByteString.copyFrom(SimulatedTdxMachine.defaultTeeTcbSvn()))
        .build(), REPORT_DATA, AT);
    assertThat(tcb.reason()).isEqualTo(RejectReason.TCB_BELOW_MINIMUM);
    assertThat(tcb.detail()).contains("TEE_TCB_SVN[0] 1 < 5");
  }

  @Test
  void mutatedQuotesGetASpecificVerdictAndNeverForgeClaims() {
    // Proves seeded random corruption (flips, truncation, garbage tails) never crashes the verifier and
    // never yields accepted claims other than the original's. Replay a failure with the printed seed.
    long seed = Long.getLong("veilraft.fuzz.seed", 0x5eedL);
    Random random = new Random(seed);
    Claims original = verify(quote).claims();
    for (int i = 0; i < 400; i++) {
      byte[] mutated = mutate(quote, random);
      AttestationResult result = verify(mutated);

      try {
        FuzzVerdicts.assertSpecific(result);
      } catch (AssertionError e) {
        throw new AssertionError("case " + i + " of seed " + seed + " (replay: -Dveilraft.fuzz.seed=" + seed + "): "
            + e.getMessage(), e);
      }
      if (result.accepted()) {
        assertThat(result.claims().measurement()).as("seed %d, case %d", seed, i).isEqualTo(original.measurement());
        assertThat(result.claims().reportData()).as("seed %d, case %d", seed, i).isEqualTo(original.reportData());
        assertThat(result.claims().platformInstanceId()).as("seed %d, case %d", seed, i)
            .isEqualTo(original.platformInstanceId());
      }
    }
  }

  private static byte[] mutate(byte[] input, Random random) {
    switch (random.nextInt(3)) {
      case 0 -> {
        byte[] out = input.clone();
        for (int flips = 1 + random.nextInt(8); flips > 0; flips--) {
          out[random.nextInt(out.length)] ^= (byte) (1 + random.nextInt(255));
        }
        return out;
      }
      case 1 -> {
        return Arrays.copyOf(input, random.nextInt(input.length));
      }
      default -> {
        byte[] tail = new byte[random.nextInt(64)];
        random.nextBytes(tail);
        return Hashes.concat(Arrays.copyOf(input, random.nextInt(input.length)), tail);
      }
    }
  }
}
