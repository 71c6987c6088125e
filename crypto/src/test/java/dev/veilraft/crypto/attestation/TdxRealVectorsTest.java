package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Real Intel TDX quotes from shared/vectors (see MANIFEST.md section 3) through the TDX path. */
class TdxRealVectorsTest {
  /** Inside every PCK leaf's and PCK CA's validity (leaves from 2022-09-20 to 2026-04-15 .. 2029-09-20). */
  static final Instant IN_2026 = Instant.parse("2026-06-01T00:00:00Z");
  /** go-tdx-guest's pinned instant for SPR_E4 and its sample collateral. */
  static final Instant GO_TDX_GUEST_NOW = Instant.parse("2023-07-01T00:00:00Z");
  static final String SPR_E4 = "tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat";
  static final String V5_SAMPLE = "tdx/go-tdx-guest/quote_v5_sample.dat";
  static final String TRUSTEE_4 = "tdx/trustee/tdx_quote_4.dat";
  static final String TRUSTEE_6 = "tdx/trustee/tdx_quote_6.dat";
  static final AttestationVerifier verifier = new AttestationVerifier();
  static final TdxEvidenceVerifier intel = TdxEvidenceVerifier.forIntel();

  static Stream<String> validQuotes() {
    return Stream.of(SPR_E4, V5_SAMPLE, "tdx/go-tdx-guest/cos-113-tdx-quote.dat", TRUSTEE_4,
        "tdx/trustee/tdx_quote_5.dat", TRUSTEE_6, "azure/trustee-az-tdx-vtpm/td-quote.bin",
        "tdx/dstack/ra-tls_tdx_quote.bin", "tdx/dstack/derived/verifier-quote-report.quote.bin",
        "tdx/dstack/derived/verifier-tdx-lite.quote.bin");
  }

  static Evidence evidence(byte[] quote) {
    return evidence(quote, Collateral.getDefaultInstance());
  }

  static Evidence evidence(byte[] quote, Collateral collateral) {
    return Evidence.newBuilder().setPlatform(Platform.TDX).setReport(ByteString.copyFrom(quote))
        .setCollateral(collateral).build();
  }

  /** A policy that admits exactly this quote's measurement, debug allowed. */
  static Policy admitting(TdxQuote quote, boolean allowDebug) {
    return Policy.newBuilder().setName("tdx-vectors").setAllowDebug(allowDebug)
        .addAllowedMeasurements(ByteString.copyFrom(quote.measurement())).build();
  }

  static AttestationResult verify(byte[] quoteBytes, Instant at) throws Exception {
    TdxQuote quote = TdxQuote.parse(quoteBytes);
    return verifier.verify(evidence(quoteBytes), admitting(quote, true), quote.reportData(), at);
  }

  static byte[] flip(byte[] bytes, int offset) {
    byte[] copy = bytes.clone();
    copy[offset] ^= 0x01;
    return copy;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validQuotes")
  void realQuotesVerify(String file) throws Exception {
    // Proves every valid real quote passes quote signature, PCK chain to the pinned Intel root, QE report signature and QE binding.
    AttestationResult result = verify(SharedVectors.read(file), IN_2026);

    assertThat(result.accepted()).as(result.toString()).isTrue();
    assertThat(result.claims().platform()).isEqualTo(Platform.TDX);
    assertThat(result.claims().signer()).isEqualTo("PCK");
    assertThat(result.claims().measurement()).hasSize(240);
    assertThat(((TdxClaims) result.claims().details()).tcbStatus()).isEmpty();
  }

  @Test
  void claimsOfSprE4MatchTheManifest() throws Exception {
    // Proves the decoded v4 claims equal MANIFEST.md for SPR_E4 (MRTD, RTMRs, report data, TEE_TCB_SVN, FMSPC).
    Claims claims = verify(SharedVectors.read(SPR_E4), GO_TDX_GUEST_NOW).claims();
    TdxClaims tdx = (TdxClaims) claims.details();

    assertThat(claims.version()).isEqualTo(4);
    assertThat(Hashes.hex(tdx.mrtd())).isEqualTo("6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f"
        + "22fc00b8dcd404bc10d5e119d7215cbb");
    assertThat(Hashes.hex(tdx.rtmrs().get(0))).isEqualTo("2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc8"
        + "0af42976823adf08f833c1e50b51779c6593f32a");
    assertThat(Hashes.hex(tdx.rtmrs().get(2))).startsWith("8652f0caaba7e215");
    assertThat(Hashes.hex(tdx.rtmrs().get(3))).isEqualTo("00".repeat(48));
    assertThat(Hashes.hex(claims.reportData())).isEqualTo("6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993"
        + "d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113");
    assertThat(Hashes.hex(tdx.teeTcbSvn())).isEqualTo("03000400000000000000000000000000");
    assertThat(Hashes.hex(le64(tdx.tdAttributes()))).isEqualTo("0000004000000000");
    assertThat(Hashes.hex(tdx.fmspc())).isEqualTo("50806f000000");
    assertThat(claims.debug()).isFalse();
    assertThat(Arrays.copyOfRange(claims.measurement(), 0, 48)).isEqualTo(tdx.mrtd());
  }

  @Test
  void claimsOfTrusteeQuote4MatchTrusteesExpectedParse() throws Exception {
    // Proves the decoded claims equal trustee's parse_tdx_claims_expected.json for tdx_quote_4, including its debug attribute.
    JsonNode expected = new ObjectMapper().readTree(SharedVectors.read("tdx/trustee/parse_tdx_claims_expected.json"))
        .get("quote").get("body");
    Claims claims = verify(SharedVectors.read(TRUSTEE_4), IN_2026).claims();
    TdxClaims tdx = (TdxClaims) claims.details();

    assertThat(Hashes.hex(tdx.mrtd())).isEqualTo(expected.get("mr_td").asText());
    assertThat(Hashes.hex(tdx.mrSeam())).isEqualTo(expected.get("mr_seam").asText());
    assertThat(Hashes.hex(tdx.mrConfigId())).isEqualTo(expected.get("mr_config_id").asText());
    for (int i = 0; i < 4; i++) {
      assertThat(Hashes.hex(tdx.rtmrs().get(i))).isEqualTo(expected.get("rtmr_" + i).asText());
    }
    assertThat(Hashes.hex(claims.reportData())).isEqualTo(expected.get("report_data").asText());
    assertThat(Hashes.hex(tdx.teeTcbSvn())).isEqualTo(expected.get("tcb_svn").asText());
    assertThat(Hashes.hex(le64(tdx.tdAttributes()))).isEqualTo(expected.get("td_attributes").asText());
    assertThat(Hashes.hex(le64(tdx.xfam()))).isEqualTo(expected.get("xfam").asText());
    assertThat(claims.debug()).isTrue(); // td_attributes 01..: trustee reports "debug": true
    assertThat(claims.hostData()).isEqualTo(tdx.mrConfigId());
  }

  @Test
  void claimsOfTheV5SampleCarryTheTdx15Fields() throws Exception {
    // Proves a v5 quote with a TDX 1.5 body decodes TEE_TCB_SVN2 and MRSERVICETD as MANIFEST.md lists them.
    Claims claims = verify(SharedVectors.read(V5_SAMPLE), IN_2026).claims();
    TdxClaims tdx = (TdxClaims) claims.details();

    assertThat(claims.version()).isEqualTo(5);
    assertThat(Hashes.hex(tdx.mrtd())).startsWith("7348651a34b2d2d3");
    assertThat(Hashes.hex(tdx.teeTcbSvn2())).isEqualTo("0d010400000000000000000000000000");
    assertThat(tdx.mrServiceTd()).isEqualTo(new byte[48]);
    assertThat(Hashes.hex(claims.reportData())).startsWith("945eaacf5abc1f71");
  }

  @Test
  void thePlatformInstanceIdIsTheSha256OfThePckLeafPublicKeyInfo() throws Exception {
    // Proves a real quote's platform instance id is SHA-256 of its PCK leaf's SubjectPublicKeyInfo, read here with Bouncy Castle straight from the DER.
    for (String file : List.of(SPR_E4, TRUSTEE_6, V5_SAMPLE)) {
      byte[] quote = SharedVectors.read(file);
      byte[] leafDer = TdxQuote.parse(quote).pckChainDer().orElseThrow().get(0);
      byte[] spki = org.bouncycastle.asn1.x509.Certificate.getInstance(leafDer).getSubjectPublicKeyInfo().getEncoded();

      Claims claims = verify(quote, IN_2026).claims();

      assertThat(claims.platformInstanceId()).as(file).hasSize(32).isEqualTo(Hashes.sha256(spki));
      assertThat(((TdxClaims) claims.details()).pckKeySha256()).isEqualTo(Hashes.sha256(spki));
    }
  }

  @Test
  void realQuotesLabelledSimulatedAreNeverJudgedUnderIntelsRoot() throws Exception {
    // Proves a genuine Intel quote relabelled SIMULATED_TDX fails the simulated root's chain check, and a policy naming Intel's root as the simulated one is refused.
    byte[] quote = SharedVectors.read(TRUSTEE_6);
    Evidence relabelled = evidence(quote).toBuilder().setPlatform(Platform.SIMULATED_TDX).build();
    Policy simulated = admitting(TdxQuote.parse(quote), true).toBuilder().setAllowSimulated(true)
        .setSimulatedTdxRootSha256(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("some simulated root")))).build();
    Policy intelAsSimulated = simulated.toBuilder()
        .setSimulatedTdxRootSha256(ByteString.copyFrom(Hashes.unhex(PinnedRoot.INTEL_SGX_ROOT_SHA256))).build();

    AttestationResult underSimulatedRoot = verifier.verify(relabelled, simulated, TdxQuote.parse(quote).reportData(),
        IN_2026);
    AttestationResult underIntelRoot = verifier.verify(relabelled, intelAsSimulated,
        TdxQuote.parse(quote).reportData(), IN_2026);

    assertThat(underSimulatedRoot.reason()).as(underSimulatedRoot.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(underIntelRoot.reason()).as(underIntelRoot.toString()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(underIntelRoot.detail()).contains("Intel's SGX Root CA");
    assertThat(Policies.problem(intelAsSimulated)).get().asString().contains("simulated_tdx_root_sha256");
  }

  @Test
  void trailingBytesAfterTheSignatureDataAreIgnored() throws Exception {
    // Proves padding after the signature data (SPR_E4's trailing text, and more appended) neither breaks nor changes verification.
    byte[] quote = SharedVectors.read(SPR_E4);
    assertThat(new String(quote, StandardCharsets.US_ASCII)).endsWith("extra bytes(only for testing purpose)\n");
    byte[] padded = Arrays.copyOf(quote, quote.length + 1000);

    AttestationResult plain = verify(quote, GO_TDX_GUEST_NOW);
    AttestationResult morePadding = verify(padded, GO_TDX_GUEST_NOW);

    assertThat(plain.accepted()).as(plain.toString()).isTrue();
    assertThat(morePadding.accepted()).as(morePadding.toString()).isTrue();
    assertThat(morePadding.claims().measurement()).isEqualTo(plain.claims().measurement());
  }

  @Test
  void aFlippedHeaderOrBodyByteBreaksTheQuoteSignature() throws Exception {
    // Proves a change in the signed header (user data) or body (MRTD, report data) is SIGNATURE_INVALID.
    byte[] quote = SharedVectors.read(TRUSTEE_6);
    for (int offset : new int[] {0x1C, 0xB8, 0x238, 0x277}) {
      AttestationResult result = intel.verifyPlatform(evidence(flip(quote, offset)), IN_2026);

      assertThat(result.reason()).as("offset 0x%x: %s", offset, result).isEqualTo(RejectReason.SIGNATURE_INVALID);
      assertThat(result.detail()).contains("quote signature");
    }
  }

  @Test
  void aFlippedQeReportByteBreaksTheQeReportSignature() throws Exception {
    // Proves a change in the 384-byte QE report (its ISVSVN) is SIGNATURE_INVALID under the PCK key.
    byte[] quote = SharedVectors.read(TRUSTEE_6);
    int qeReport = 0x278 + 4 + 64 + 64 + 6;
    AttestationResult result = intel.verifyPlatform(evidence(flip(quote, qeReport + TdxQeReport.OFFSET_ISV_SVN)),
        IN_2026);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(result.detail()).contains("QE report signature");
  }

  @Test
  void aFlippedQeAuthDataByteBreaksTheAttestationKeyBinding() throws Exception {
    // Proves altered QE auth data no longer hashes to the QE report data: the QE did not vouch for this key.
    byte[] quote = SharedVectors.read(TRUSTEE_6);
    int qeAuthData = 0x278 + 4 + 64 + 64 + 6 + 384 + 64 + 2;
    AttestationResult result = intel.verifyPlatform(evidence(flip(quote, qeAuthData)), IN_2026);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(result.detail()).contains("did not vouch for this attestation key");
  }

  @Test
  void aQuoteVerifiedAfterItsPckLeafExpiredIsRefused() throws Exception {
    // Proves the PCK leaf's validity is judged at the given instant (go-tdx-guest expects expiry in 2053).
    AttestationResult result = intel.verifyPlatform(evidence(SharedVectors.read(SPR_E4)),
        Instant.parse("2053-01-01T00:00:00Z"));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(result.detail()).contains("PCK leaf").contains("2029-09-20");
  }

  @Test
  void truncatedAndReversionedQuotesAreRefusedWhileParsing() throws Exception {
    // Proves a quote cut to 100 bytes is MALFORMED and a version-3 header is UNSUPPORTED_REPORT_VERSION.
    byte[] quote = SharedVectors.read(V5_SAMPLE);
    byte[] version3 = quote.clone();
    version3[0] = 3;

    assertThat(intel.verifyPlatform(evidence(Arrays.copyOf(quote, 100)), IN_2026).reason())
        .isEqualTo(RejectReason.MALFORMED);
    assertThat(intel.verifyPlatform(evidence(version3), IN_2026).reason())
        .isEqualTo(RejectReason.UNSUPPORTED_REPORT_VERSION);
  }

  @Test
  void theDebugAttributeIsRefusedByPolicy() throws Exception {
    // Proves trustee's quote 4 (TDATTRIBUTES bit 0 set) is DEBUG_ENABLED under a policy that lists its measurement.
    byte[] bytes = SharedVectors.read(TRUSTEE_4);
    TdxQuote quote = TdxQuote.parse(bytes);

    AttestationResult result = verifier.verify(evidence(bytes), admitting(quote, false), quote.reportData(), IN_2026);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.DEBUG_ENABLED);
    assertThat(result.detail()).contains("TDATTRIBUTES bit 0");
  }

  @Test
  void aPolicyWithoutTheMeasurementOrWithOtherReportDataRefuses() throws Exception {
    // Proves the policy layer compares MRTD||RTMR0..3 (MEASUREMENT_NOT_ALLOWED) and report data (REPORT_DATA_MISMATCH).
    byte[] bytes = SharedVectors.read(TRUSTEE_6);
    TdxQuote quote = TdxQuote.parse(bytes);
    Policy other = Policy.newBuilder().setName("other").addAllowedMeasurements(ByteString.copyFrom(new byte[240]))
        .build();

    AttestationResult noMeasurement = verifier.verify(evidence(bytes), other, quote.reportData(), IN_2026);
    AttestationResult wrongData = verifier.verify(evidence(bytes), admitting(quote, false), new byte[64], IN_2026);

    assertThat(noMeasurement.reason()).as(noMeasurement.toString()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(noMeasurement.detail()).contains("MRTD||RTMR0..3");
    assertThat(wrongData.reason()).as(wrongData.toString()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }

  @Test
  void intelsRealCrlsVerifyAndDoNotListSprE4sChain() throws Exception {
    // Proves Intel's real PCK Platform CA CRL and root CRL verify under the quote's chain and do not revoke it.
    Collateral crls = Collateral.newBuilder()
        .addCrls(ByteString.copyFrom(SharedVectors.read("tdx/go-tdx-guest/pckcrl")))
        .addCrls(ByteString.copyFrom(SharedVectors.read("tdx/go-tdx-guest/rootcrl.der"))).build();

    AttestationResult result = intel.verifyPlatform(evidence(SharedVectors.read(SPR_E4), crls), GO_TDX_GUEST_NOW);

    assertThat(result.accepted()).as(result.toString()).isTrue();
  }

  @Test
  void aStaleRealCrlIsRefused() throws Exception {
    // Proves a CRL past its nextUpdate (the PCK CRL was due 2023-07-08) is COLLATERAL_INVALID: it may omit revocations.
    Collateral crls = Collateral.newBuilder()
        .addCrls(ByteString.copyFrom(SharedVectors.read("tdx/go-tdx-guest/pckcrl"))).build();

    AttestationResult result = intel.verifyPlatform(evidence(SharedVectors.read(SPR_E4), crls), IN_2026);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(result.detail()).contains("stale");
  }

  @Test
  void realTcbInfoWithoutItsSigningChainIsRefused() throws Exception {
    // Proves Intel's real TCB info is never trusted unsigned: the vectors lack the TCB signing certificate, so it is COLLATERAL_INVALID.
    Collateral collateral = Collateral.newBuilder()
        .setTdxTcbInfo(ByteString.copyFrom(SharedVectors.read("tdx/trustee/tcbInfo.json"))).build();

    AttestationResult result = intel.verifyPlatform(evidence(SharedVectors.read(TRUSTEE_6), collateral),
        Instant.parse("2025-11-01T00:00:00Z"));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(result.detail()).contains("tdx_signing_chain");
  }

  @Test
  void realTcbInfoAndQeIdentityEvaluateForTheirQuotes() throws Exception {
    // Proves the evaluation on Intel's real (unsigned here) JSON: trustee quote 6's PCK has PCESVN 11 < 13, so the OutOfDate level matches.
    byte[] bytes = SharedVectors.read(TRUSTEE_6);
    TdxQuote quote = TdxQuote.parse(bytes);
    TdxPckExtensions pck = pckOf(quote);

    TdxTcbEvaluator.Verdict verdict = TdxTcbEvaluator.evaluate(quote, pck,
        Optional.of(TdxCollateral.parseTcbInfo(inner("tdx/trustee/tcbInfo.json", "tcbInfo"))),
        Optional.of(TdxCollateral.parseQeIdentity(inner("tdx/trustee/enclaveIdentity.json", "enclaveIdentity"))));

    assertThat(pck.pceSvn()).isEqualTo(11);
    assertThat(verdict.status()).contains(TdxTcbStatus.OUT_OF_DATE);
    assertThat(verdict.advisoryIds()).isEmpty(); // that level lists none; module TDX_03 and the QE are UpToDate
  }

  @Test
  void realV5TcbInfoRatesTheV5SampleByItsModuleIdentity() throws Exception {
    // Proves go-tdx-guest's real v5 TCB info (with tdxModuleIdentities) evaluates the TDX 1.5 v5 sample quote.
    TdxQuote quote = TdxQuote.parse(SharedVectors.read(V5_SAMPLE));

    TdxTcbEvaluator.Verdict verdict = TdxTcbEvaluator.evaluate(quote, pckOf(quote),
        Optional.of(TdxCollateral.parseTcbInfo(inner("tdx/go-tdx-guest/sample_tcbinfo_response_v5", "tcbInfo"))),
        Optional.empty());

    assertThat(verdict.status()).contains(TdxTcbStatus.UP_TO_DATE); // go-tdx-guest expects success too
    assertThat(verdict.advisoryIds()).isEmpty();
  }

  @Test
  void realSampleTcbInfoDoesNotCoverSprE4() throws Exception {
    // Proves a TEE_TCB_SVN below every level (SPR_E4's [2] = 4 < 5) is COLLATERAL_INVALID, as go-tdx-guest's tests note for this sample.
    TdxQuote quote = TdxQuote.parse(SharedVectors.read(SPR_E4));

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TdxTcbEvaluator.evaluate(quote, pckOf(quote),
            Optional.of(TdxCollateral.parseTcbInfo(inner("tdx/go-tdx-guest/sample_tcbInfo_response", "tcbInfo"))),
            Optional.empty()))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID))
        .hasMessageContaining("TCB not supported");
  }

  @Test
  void realQeIdentityMatchesTheRealQuotingEnclave() throws Exception {
    // Proves the MRSIGNER, ISVPRODID and masked MISCSELECT/ATTRIBUTES checks accept Intel's real TD QE (SPR_E4, ISVSVN 4).
    TdxQuote quote = TdxQuote.parse(SharedVectors.read(SPR_E4));

    TdxTcbEvaluator.Verdict verdict = TdxTcbEvaluator.evaluate(quote, pckOf(quote), Optional.empty(),
        Optional.of(TdxCollateral.parseQeIdentity(inner("tdx/go-tdx-guest/sample_qeIdentity_response",
            "enclaveIdentity"))));

    assertThat(quote.qeReport().isvSvn()).isEqualTo(4);
    assertThat(verdict.status()).isEmpty(); // no TCB info: nothing to rate the platform by
  }

  @Test
  void realSampleCollateralSplitsIntoTheSignedTextAndSignature() throws Exception {
    // Proves the signed bytes are the exact "tcbInfo"/"enclaveIdentity" text of Intel's bodies, with a 64-byte signature.
    for (String file : List.of("tdx/go-tdx-guest/sample_tcbInfo_response", "tdx/trustee/tcbInfo.json")) {
      byte[] body = SharedVectors.read(file);
      TdxCollateral.Signed signed = TdxCollateral.extractSigned(body, "tcbInfo", file);
      String text = new String(body, StandardCharsets.UTF_8);

      assertThat(new String(signed.body(), StandardCharsets.UTF_8))
          .isEqualTo(text.substring(text.indexOf("{\"id\""), text.indexOf(",\"signature\"")));
      assertThat(signed.signature()).hasSize(64);
    }
  }

  static TdxPckExtensions pckOf(TdxQuote quote) throws Rejection {
    return new TdxPckChainVerifier(PinnedRoot.intelSgxRoot()).verify(quote.pckChainDer().orElseThrow())
        .extensions();
  }

  static byte[] inner(String file, String key) throws IOException, Rejection {
    return TdxCollateral.extractSigned(SharedVectors.read(file), key, file).body();
  }

  private static byte[] le64(long value) {
    byte[] out = new byte[8];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (value >>> (8 * i));
    }
    return out;
  }
}
