package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Policy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Intel TCB info and QE identity, synthetic and signed by the throwaway PKI's "Intel SGX TCB
 * Signing" key (the vectors hold no TCB signing certificate, so real collateral cannot be
 * verified): signature over the exact text, freshness, and Intel's TCB level evaluation.
 */
class TdxCollateralTest {
  static final TdxEvidenceVerifier VERIFIER = TdxTestPki.standard().verifier();

  static AttestationResult verify(TdxQuoteBuilder quote, TdxCollateralBuilder collateral) {
    return VERIFIER.verifyPlatform(quote.evidence(collateral.collateral()), TdxTestPki.VALID_AT);
  }

  static AttestationResult verify(TdxQuoteBuilder quote, Collateral collateral) {
    return VERIFIER.verifyPlatform(quote.evidence(collateral), TdxTestPki.VALID_AT);
  }

  static String status(AttestationResult result) {
    assertThat(result.accepted()).as(result.toString()).isTrue();
    return ((TdxClaims) result.claims().details()).tcbStatus().orElseThrow();
  }

  static List<String> advisories(AttestationResult result) {
    return ((TdxClaims) result.claims().details()).advisoryIds();
  }

  static byte[] svn(String hex) {
    return Hashes.unhex(hex + "00".repeat(16 - hex.length() / 2));
  }

  @Test
  void currentCollateralRatesAnUpToDateQuote() {
    // Proves signed, current TCB info and QE identity yield UpToDate for a quote at the top TCB level.
    AttestationResult result = verify(new TdxQuoteBuilder(), new TdxCollateralBuilder());

    assertThat(status(result)).isEqualTo("UpToDate");
    assertThat(advisories(result)).isEmpty();
  }

  @Test
  void aLowerTeeTcbSvnMatchesALowerLevelWithItsAdvisories() {
    // Proves the first level whose TDX components TEE_TCB_SVN meets is chosen, and its status and advisories reported.
    AttestationResult result = verify(new TdxQuoteBuilder().teeTcbSvn(svn("030004")), new TdxCollateralBuilder());

    assertThat(status(result)).isEqualTo("OutOfDate");
    assertThat(advisories(result)).containsExactly("INTEL-SA-TEST-TDX");
  }

  @Test
  void aTcbBelowEveryLevelIsNotSupported() {
    // Proves a TEE_TCB_SVN below every level (or a PCK below every SGX level) is COLLATERAL_INVALID, not a status.
    TdxCollateralBuilder noSgxLevel = new TdxCollateralBuilder();
    noSgxLevel.levels = List.of(new TdxCollateralBuilder.Level(TdxCollateralBuilder.sgx(9), 13,
        TdxCollateralBuilder.tdx(0), "UpToDate", List.of()));

    AttestationResult lowTdx = verify(new TdxQuoteBuilder().teeTcbSvn(svn("030002")), new TdxCollateralBuilder());
    AttestationResult lowSgx = verify(new TdxQuoteBuilder(), noSgxLevel);

    assertThat(lowTdx.reason()).as(lowTdx.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(lowTdx.detail()).contains("TEE_TCB_SVN 03000200").contains("TCB not supported");
    assertThat(lowSgx.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(lowSgx.detail()).contains("PCK's SGX TCB");
  }

  @Test
  void anOutOfDateQuotingEnclaveDowngradesTheStatus() {
    // Proves the QE identity level (ISVSVN 5 -> OutOfDate) converges UpToDate into OutOfDate with the QE's advisories.
    AttestationResult outdated = verify(new TdxQuoteBuilder().qeIsvSvn(5), new TdxCollateralBuilder());
    AttestationResult unsupported = verify(new TdxQuoteBuilder().qeIsvSvn(3), new TdxCollateralBuilder());

    assertThat(status(outdated)).isEqualTo("OutOfDate");
    assertThat(advisories(outdated)).containsExactly("INTEL-SA-TEST-QE");
    assertThat(unsupported.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(unsupported.detail()).contains("QE's ISVSVN 3");
  }

  @Test
  void aQuotingEnclaveThatIsNotIntelsIsRefused() {
    // Proves a QE whose MRSIGNER differs from Intel's TD QE identity is COLLATERAL_INVALID naming both signers.
    TdxCollateralBuilder collateral = new TdxCollateralBuilder();
    collateral.qeMrSigner = TdxQuoteBuilder.fill(32, 0x99);

    AttestationResult result = verify(new TdxQuoteBuilder(), collateral);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(result.detail()).contains("MRSIGNER dc9e2a7c6f948f17").contains("9999999999999999");
  }

  @Test
  void aTdxModuleOfMajorVersionAboveZeroIsRatedByItsIdentity() {
    // Proves TEE_TCB_SVN[1] > 0 selects "TDX_01": module SVN 6 is UpToDate, SVN 3 OutOfDate, and bytes 0-1 skip the level match.
    TdxCollateralBuilder collateral = new TdxCollateralBuilder();

    AttestationResult current = verify(new TdxQuoteBuilder().teeTcbSvn(svn("060105")), collateral);
    AttestationResult outdated = verify(new TdxQuoteBuilder().teeTcbSvn(svn("030105")), collateral);
    AttestationResult unknown = verify(new TdxQuoteBuilder().teeTcbSvn(svn("060205")), collateral);

    assertThat(status(current)).isEqualTo("UpToDate");
    assertThat(status(outdated)).isEqualTo("OutOfDate");
    assertThat(advisories(outdated)).containsExactly("INTEL-SA-TEST-MODULE");
    assertThat(unknown.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(unknown.detail()).contains("TDX_02");
  }

  @Test
  void aTdx15TdOnAnUpdatedModuleIsAdvisedToRelaunch() {
    // Proves TDX 1.5: an outdated launch module with a current runtime module (TEE_TCB_SVN2) is TDRelaunchAdvised.
    TdxQuoteBuilder quote = new TdxQuoteBuilder().tdx15().teeTcbSvn(svn("030105")).teeTcbSvn2(svn("060105"));
    TdxQuoteBuilder stillOld = new TdxQuoteBuilder().tdx15().teeTcbSvn(svn("030105")).teeTcbSvn2(svn("030105"));

    assertThat(status(verify(quote, new TdxCollateralBuilder()))).isEqualTo("TDRelaunchAdvised");
    assertThat(status(verify(stillOld, new TdxCollateralBuilder()))).isEqualTo("OutOfDate");
  }

  @Test
  void aTdxModuleThatIsNotIntelsIsRefused() {
    // Proves MRSIGNERSEAM must be the TCB info's module signer and SEAMATTRIBUTES must match under the mask.
    AttestationResult signer = verify(new TdxQuoteBuilder().mrSignerSeam(TdxQuoteBuilder.fill(48, 1)),
        new TdxCollateralBuilder());
    AttestationResult attributes = verify(new TdxQuoteBuilder().seamAttributes(1), new TdxCollateralBuilder());

    assertThat(signer.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(signer.detail()).contains("MRSIGNERSEAM");
    assertThat(attributes.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(attributes.detail()).contains("SEAMATTRIBUTES 0100000000000000");
  }

  @Test
  void aRevokedTcbLevelIsRefused() {
    // Proves a matched level Intel marks Revoked is CERT_REVOKED rather than a status a policy might accept.
    TdxCollateralBuilder collateral = new TdxCollateralBuilder();
    collateral.levels = List.of(new TdxCollateralBuilder.Level(TdxTestPki.SGX_TCB, 13, TdxCollateralBuilder.tdx(3, 0, 5),
        "Revoked", List.of("INTEL-SA-TEST-REVOKED")));

    AttestationResult result = verify(new TdxQuoteBuilder(), collateral);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.CERT_REVOKED);
    assertThat(result.detail()).contains("Revoked");
  }

  @Test
  void configurationStatusesConvergeAsIntelsLibraryDoes() {
    // Proves the convergence table: OutOfDate components turn configuration statuses into OutOfDateConfigurationNeeded; Revoked wins.
    assertThat(TdxTcbEvaluator.converge(TdxTcbStatus.CONFIGURATION_NEEDED, TdxTcbStatus.OUT_OF_DATE))
        .isEqualTo(TdxTcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED);
    assertThat(TdxTcbEvaluator.converge(TdxTcbStatus.SW_HARDENING_NEEDED, TdxTcbStatus.OUT_OF_DATE))
        .isEqualTo(TdxTcbStatus.OUT_OF_DATE);
    assertThat(TdxTcbEvaluator.converge(TdxTcbStatus.OUT_OF_DATE, TdxTcbStatus.UP_TO_DATE))
        .isEqualTo(TdxTcbStatus.OUT_OF_DATE);
    assertThat(TdxTcbEvaluator.converge(TdxTcbStatus.UP_TO_DATE, TdxTcbStatus.REVOKED))
        .isEqualTo(TdxTcbStatus.REVOKED);
    TdxCollateralBuilder collateral = new TdxCollateralBuilder();
    collateral.levels = List.of(new TdxCollateralBuilder.Level(TdxTestPki.SGX_TCB, 13, TdxCollateralBuilder.tdx(3, 0, 5),
        "ConfigurationNeeded", List.of()));
    assertThat(status(verify(new TdxQuoteBuilder().teeTcbSvn(svn("030105")), collateral)))
        .isEqualTo("OutOfDateConfigurationNeeded");
  }

  @Test
  void collateralWithoutItsSigningChainIsNeverTrusted() {
    // Proves TCB info or QE identity without tdx_signing_chain is COLLATERAL_INVALID, not silently skipped.
    TdxCollateralBuilder collateral = new TdxCollateralBuilder();
    collateral.includeSigningChain = false;

    AttestationResult result = verify(new TdxQuoteBuilder(), collateral);

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(result.detail()).contains("without collateral.tdx_signing_chain");
  }

  @Test
  void collateralSignedUnderAnotherRootIsRefused() {
    // Proves a TCB signing certificate the pinned root did not sign (with its own root, beside the pinned root, or
    // without any root) is COLLATERAL_INVALID.
    Collateral other = new TdxCollateralBuilder().pki(TdxTestPki.of("other")).collateral();
    Collateral besideOurRoot = other.toBuilder().clearTdxSigningChain().addTdxSigningChain(other.getTdxSigningChain(0))
        .addTdxSigningChain(ByteString.copyFrom(TdxTestPki.der(TdxTestPki.standard().root))).build();
    Collateral alone = other.toBuilder().clearTdxSigningChain().addTdxSigningChain(other.getTdxSigningChain(0))
        .build();

    AttestationResult withItsRoot = verify(new TdxQuoteBuilder(), other);
    AttestationResult beside = verify(new TdxQuoteBuilder(), besideOurRoot);
    AttestationResult rootless = verify(new TdxQuoteBuilder(), alone);

    assertThat(withItsRoot.reason()).as(withItsRoot.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(withItsRoot.detail()).contains("other than the pinned root");
    assertThat(beside.reason()).as(beside.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(beside.detail()).contains("TCB signing certificate").contains("not signed by the root");
    assertThat(rootless.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(rootless.detail()).contains("lacks the root");
  }

  @Test
  void theSignatureCoversTheExactTextOfTheInnerObject() {
    // Proves a changed byte inside the signed text fails, while whitespace outside it does not matter.
    TdxCollateralBuilder builder = new TdxCollateralBuilder();
    String inner = builder.tcbInfoText();
    String body = new String(builder.tcbInfoBody(), StandardCharsets.UTF_8);
    String altered = body.replace("\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":18");
    String spaced = body.replace("{\"tcbInfo\":", "{ \"tcbInfo\" :\n  ").replace(",\"signature\":", " ,\n \"signature\" : ");
    String reordered = "{\"signature\":" + body.substring(body.indexOf("\"signature\":") + 12, body.length() - 1)
        + ",\"tcbInfo\":" + inner + "}";

    AttestationResult alteredResult = verify(new TdxQuoteBuilder(), withTcbInfo(builder, altered));

    assertThat(alteredResult.reason()).as(alteredResult.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(alteredResult.detail()).contains("TCB info signature does not verify");
    assertThat(status(verify(new TdxQuoteBuilder(), withTcbInfo(builder, spaced)))).isEqualTo("UpToDate");
    assertThat(status(verify(new TdxQuoteBuilder(), withTcbInfo(builder, reordered)))).isEqualTo("UpToDate");
  }

  @Test
  void aBodyWithTwoTcbInfoMembersIsRefused() {
    // Proves duplicate keys are refused, so the signature cannot cover one "tcbInfo" while another is read.
    TdxCollateralBuilder builder = new TdxCollateralBuilder();
    String body = new String(builder.tcbInfoBody(), StandardCharsets.UTF_8);
    String twice = body.replace("{\"tcbInfo\":", "{\"tcbInfo\":{},\"tcbInfo\":");

    AttestationResult result = verify(new TdxQuoteBuilder(), withTcbInfo(builder, twice));

    assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(result.detail()).contains("not valid JSON");
  }

  @Test
  void staleOrFutureCollateralIsRefused() {
    // Proves TCB info past its nextUpdate, or issued after the instant, is COLLATERAL_INVALID naming the dates.
    TdxCollateralBuilder stale = new TdxCollateralBuilder();
    stale.nextUpdate = TdxTestPki.VALID_AT.minusSeconds(1);
    TdxCollateralBuilder future = new TdxCollateralBuilder();
    future.issueDate = TdxTestPki.VALID_AT.plusSeconds(1);

    AttestationResult staleResult = verify(new TdxQuoteBuilder(), stale);
    AttestationResult futureResult = verify(new TdxQuoteBuilder(), future);

    assertThat(staleResult.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(staleResult.detail()).contains("stale").contains("2026-05-31T23:59:59Z");
    assertThat(futureResult.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(futureResult.detail()).contains("issued at 2026-06-01T00:00:01Z");
  }

  @Test
  void tcbInfoForAnotherPlatformIsRefused() {
    // Proves TCB info whose FMSPC differs from the PCK's, or that is not TDX TCB info, is COLLATERAL_INVALID.
    TdxCollateralBuilder otherFmspc = new TdxCollateralBuilder();
    otherFmspc.fmspc = "00A06D080000";
    TdxCollateralBuilder sgx = new TdxCollateralBuilder();
    sgx.tcbInfoId = "SGX";

    AttestationResult fmspc = verify(new TdxQuoteBuilder(), otherFmspc);

    assertThat(fmspc.reason()).isEqualTo(RejectReason.COLLATERAL_INVALID);
    assertThat(fmspc.detail()).contains("FMSPC 00a06d080000").contains("90c06f000000");
    assertThat(verify(new TdxQuoteBuilder(), sgx).detail()).contains("'SGX'");
  }

  @Test
  void anUnknownStatusInTheMatchedLevelIsRefused() {
    // Proves a status string Intel does not define is COLLATERAL_INVALID rather than passed to the policy.
    TdxCollateralBuilder collateral = new TdxCollateralBuilder();
    collateral.levels = List.of(new TdxCollateralBuilder.Level(TdxTestPki.SGX_TCB, 13, TdxCollateralBuilder.tdx(3, 0, 5),
        "Fine", List.of()));

    assertThat(verify(new TdxQuoteBuilder(), collateral).detail()).contains("status 'Fine'");
  }

  @Test
  void aQeIdentityAloneChecksTheQeButRatesNothing() {
    // Proves QE identity without TCB info is verified (signature, identity) and leaves tcbStatus empty.
    TdxCollateralBuilder builder = new TdxCollateralBuilder();
    Collateral qeOnly = Collateral.newBuilder().setTdxQeIdentity(ByteString.copyFrom(builder.qeIdentityBody()))
        .addTdxSigningChain(ByteString.copyFrom(TdxTestPki.der(TdxTestPki.standard().tcbSigning)))
        .addTdxSigningChain(ByteString.copyFrom(TdxTestPki.der(TdxTestPki.standard().root))).build();

    AttestationResult result = verify(new TdxQuoteBuilder(), qeOnly);

    assertThat(result.accepted()).as(result.toString()).isTrue();
    assertThat(((TdxClaims) result.claims().details()).tcbStatus()).isEmpty();
  }

  @Test
  void thePolicyJudgesTheReportedStatus() {
    // Proves the status string reaches PolicyChecks: OutOfDate is TCB_STATUS_NOT_ALLOWED when only UpToDate is accepted.
    TdxQuoteBuilder quote = new TdxQuoteBuilder().teeTcbSvn(svn("030004"));
    Claims claims = verify(quote, new TdxCollateralBuilder()).claims();
    Policy policy = Policy.newBuilder().setName("prod").addAllowedMeasurements(ByteString.copyFrom(quote.measurement()))
        .addAcceptedTcbStatuses("UpToDate").build();

    AttestationResult result = PolicyChecks.check(claims, policy, quote.reportData());

    assertThat(result.reason()).isEqualTo(RejectReason.TCB_STATUS_NOT_ALLOWED);
    assertThat(result.detail()).contains("OutOfDate").contains("INTEL-SA-TEST-TDX");
  }

  private static Collateral withTcbInfo(TdxCollateralBuilder builder, String body) {
    return builder.collateral().toBuilder().setTdxTcbInfo(ByteString.copyFrom(body, StandardCharsets.UTF_8)).build();
  }
}
