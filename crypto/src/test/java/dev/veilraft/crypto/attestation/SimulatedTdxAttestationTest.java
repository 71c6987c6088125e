package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated TDX TEE end to end: vendor, machine, attester, then the real TDX verification path and the policy layer. */
class SimulatedTdxAttestationTest {
  static final byte[] MEASUREMENT = SimulatedTdxAttester.measurementOfCode(Hashes.sha384(Hashes.utf8("veilraft test code")));
  static final Instant AT = Instant.parse("2026-06-01T00:00:00Z");
  static final byte[] REPORT_DATA = ReportData.bind(Hashes.utf8("nonce-1"), Hashes.utf8("identity spki"),
      Hashes.utf8("kem public key"));

  @TempDir static Path dir;
  static SimulatedTdxVendor vendor;
  static SimulatedTdxMachine machine;
  static final AttestationVerifier verifier = new AttestationVerifier();

  @BeforeAll
  static void createVendorAndMachine() throws Exception {
    vendor = SimulatedTdxVendor.openOrCreate(dir.resolve("vendor"));
    machine = SimulatedTdxMachine.openOrCreate(dir.resolve("machine"), vendor);
  }

  static Policy.Builder policy() {
    return Policy.newBuilder().setName("sim-tdx-test").setAllowSimulated(true)
        .setSimulatedTdxRootSha256(ByteString.copyFrom(vendor.rootSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT));
  }

  static AttestationResult verify(Evidence evidence, Policy policy) {
    return verifier.verify(evidence, policy, REPORT_DATA, AT);
  }

  @Test
  void acceptsMatchingEvidenceWithItsClaims() throws Exception {
    // Proves a simulated TDX quote passes every platform and policy check, with the claims it was made with.
    SimulatedTdxAttester attester = SimulatedTdxAttester.create(machine, MEASUREMENT);
    AttestationResult result = verify(attester.attest(REPORT_DATA), policy().build());

    assertThat(result.accepted()).as(result.toString()).isTrue();
    Claims claims = result.claims();
    TdxClaims tdx = (TdxClaims) claims.details();
    assertThat(claims.platform()).isEqualTo(Platform.SIMULATED_TDX);
    assertThat(claims.version()).isEqualTo(4);
    assertThat(claims.signer()).isEqualTo("PCK");
    assertThat(claims.measurement()).hasSize(240).isEqualTo(MEASUREMENT).isEqualTo(attester.measurement());
    assertThat(tdx.mrtd()).isEqualTo(Hashes.sha384(Hashes.utf8("veilraft test code")));
    assertThat(tdx.rtmrs()).allSatisfy(rtmr -> assertThat(rtmr).hasSize(48).containsOnly(0));
    assertThat(claims.reportData()).isEqualTo(REPORT_DATA);
    assertThat(claims.hostData()).hasSize(48).containsOnly(0);
    assertThat(claims.debug()).isFalse();
    assertThat(tdx.teeTcbSvn()).isEqualTo(SimulatedTdxMachine.defaultTeeTcbSvn());
    assertThat(tdx.fmspc()).isEqualTo(SimulatedTdxMachine.TCB.fmspc());
    assertThat(tdx.tcbStatus()).isEmpty();
    assertThat(claims.describe()).containsEntry("platform", "SIMULATED_TDX");
  }

  @Test
  void theQuoteHasTheRealLayoutAndSaysItIsSimulated() throws Exception {
    // Proves the quote is a DCAP v4 quote the real parser reads: Intel's QE identity, PEM chain of PCK, PCK CA and simulated root, "SIMULATED" in the header.
    TdxQuote quote = TdxQuote.parse(SimulatedTdxAttester.create(machine, MEASUREMENT).attest(REPORT_DATA)
        .getReport().toByteArray());

    assertThat(quote.version()).isEqualTo(TdxQuote.VERSION_4);
    assertThat(quote.teeType()).isEqualTo(TdxQuote.TEE_TYPE_TDX);
    assertThat(new String(quote.userData(), StandardCharsets.US_ASCII)).startsWith("SIMULATED veilraft");
    assertThat(quote.verifySignature()).isTrue();
    assertThat(quote.qeReportBindsAttestationKey()).isTrue();
    assertThat(quote.qeReport().mrSigner()).isEqualTo(TdxEvidenceVerifier.INTEL_TD_QE_MR_SIGNER);
    assertThat(quote.qeReport().isvProdId()).isEqualTo(TdxEvidenceVerifier.INTEL_TD_QE_ISV_PROD_ID);
    assertThat(quote.qeReport().cpuSvn()).isEqualTo(SimulatedTdxMachine.TCB.cpuSvn());
    assertThat(quote.pckCertificationDataType()).isEqualTo(TdxQuote.CERT_DATA_PCK_CHAIN_PEM);
    List<byte[]> chain = quote.pckChainDer().orElseThrow();
    assertThat(chain).hasSize(3);
    assertThat(chain.get(0)).isEqualTo(machine.pckDer());
    assertThat(chain.get(2)).isEqualTo(vendor.rootDer());
    X509Certificate root = Certificates.parse(vendor.rootDer(), "root");
    assertThat(root.getSubjectX500Principal().getName()).contains("SIMULATED").contains("INSECURE");
    X509Certificate pck = Certificates.parse(machine.pckDer(), "pck");
    assertThat(pck.getSubjectX500Principal().getName()).contains("INSECURE");
    assertThat(TdxPckExtensions.of(pck)).isEqualTo(SimulatedTdxMachine.TCB);
    assertThat(quote.verifyQeReportSignature(pck.getPublicKey())).isTrue();
  }

  @Test
  void versionFiveQuotesWithATdx15BodyVerify() throws Exception {
    // Proves the attester's v5 quotes (TDX 1.5 body, TEE_TCB_SVN2) take the same path and are accepted.
    SimulatedTdxAttester attester = SimulatedTdxAttester.builder(machine, MEASUREMENT).quoteVersion(5).build();
    AttestationResult result = verify(attester.attest(REPORT_DATA), policy().build());

    assertThat(result.accepted()).as(result.toString()).isTrue();
    assertThat(result.claims().version()).isEqualTo(5);
    assertThat(((TdxClaims) result.claims().details()).teeTcbSvn2()).isEqualTo(SimulatedTdxMachine.defaultTeeTcbSvn());
  }

  @Test
  void thePlatformInstanceIdIsTheMachinesPckKeyAndSurvivesAReopen() throws Exception {
    // Proves every TD on a machine reports SHA-256(PCK SPKI) as its instance id, the id survives reopening, and two machines differ.
    SimulatedTdxMachine reopened = SimulatedTdxMachine.openOrCreate(dir.resolve("machine"), vendor);
    SimulatedTdxMachine other = SimulatedTdxMachine.openOrCreate(dir.resolve("other-machine"), vendor);
    byte[] spkiSha256 = Certificates.spkiSha256(Certificates.parse(machine.pckDer(), "pck"));

    Claims first = verify(SimulatedTdxAttester.create(machine, MEASUREMENT).attest(REPORT_DATA), policy().build())
        .claims();
    Claims second = verify(SimulatedTdxAttester.create(reopened, MEASUREMENT).attest(REPORT_DATA), policy().build())
        .claims();
    Claims third = verify(SimulatedTdxAttester.create(other, MEASUREMENT).attest(REPORT_DATA), policy().build())
        .claims();

    assertThat(first.platformInstanceId()).hasSize(32).isEqualTo(spkiSha256).isEqualTo(machine.platformInstanceId());
    assertThat(second.platformInstanceId()).isEqualTo(first.platformInstanceId());
    assertThat(reopened.ppid()).isEqualTo(machine.ppid());
    assertThat(third.platformInstanceId()).isNotEqualTo(first.platformInstanceId());
  }

  @Test
  void oneSimulatedVendorDirectoryHoldsTheSnpAndTdxRoots() throws Exception {
    // Proves the SEV-SNP and TDX simulated vendors share a directory without touching each other's files, and reopen unchanged.
    Path shared = dir.resolve("shared-vendor");
    SimulatedSnpVendor snp = SimulatedSnpVendor.openOrCreate(shared);
    SimulatedTdxVendor tdx = SimulatedTdxVendor.openOrCreate(shared);

    assertThat(SimulatedSnpVendor.openOrCreate(shared).arkSha256()).isEqualTo(snp.arkSha256());
    assertThat(SimulatedTdxVendor.openOrCreate(shared).rootSha256()).isEqualTo(tdx.rootSha256());
    List<String> names;
    try (java.util.stream.Stream<Path> files = Files.list(shared)) {
      names = files.map(p -> p.getFileName().toString()).toList();
    }
    assertThat(names).contains("ark.der", "ask.der", "ask.key", "tdx-root.der", "tdx-pck-ca.der", "tdx-pck-ca.key")
        .noneMatch(name -> name.endsWith(".tmp"));
    assertThat(Files.exists(shared.resolve("tdx-root.key"))).as("the root key is discarded").isFalse();
  }

  @Test
  void aMachineIsReissuedItsPckWhenTheVendorIsRecreated() throws Exception {
    // Proves a machine opened under a new vendor gets a PCK from that vendor for the same key, so its instance id is unchanged.
    Path vendorDir = dir.resolve("vendor-to-recreate");
    Path machineDir = dir.resolve("machine-of-recreated");
    SimulatedTdxMachine before = SimulatedTdxMachine.openOrCreate(machineDir,
        SimulatedTdxVendor.openOrCreate(vendorDir));
    for (String file : List.of("tdx-root.der", "tdx-pck-ca.der", "tdx-pck-ca.key")) {
      Files.delete(vendorDir.resolve(file));
    }
    SimulatedTdxVendor recreated = SimulatedTdxVendor.openOrCreate(vendorDir);
    SimulatedTdxMachine after = SimulatedTdxMachine.openOrCreate(machineDir, recreated);

    assertThat(after.pckDer()).isNotEqualTo(before.pckDer());
    assertThat(after.platformInstanceId()).isEqualTo(before.platformInstanceId());
    assertThat(recreated.issued(Certificates.parse(after.pckDer(), "pck"))).isTrue();
  }

  @Test
  void attesterOptionsAreValidatedWhenSet() {
    // Proves wrong lengths and versions fail at build time with the field named, not as unverifiable quotes.
    assertThatThrownBy(() -> SimulatedTdxAttester.create(machine, new byte[48]))
        .hasMessageContaining("TDX measurement").hasMessageContaining("240");
    assertThatThrownBy(() -> SimulatedTdxAttester.builder(machine, MEASUREMENT).mrConfigId(new byte[32]))
        .hasMessageContaining("MRCONFIGID");
    assertThatThrownBy(() -> SimulatedTdxAttester.builder(machine, MEASUREMENT).quoteVersion(3))
        .hasMessageContaining("4 or 5");
    assertThatThrownBy(() -> SimulatedTdxAttester.create(machine, MEASUREMENT).attest(new byte[32]))
        .isInstanceOf(AttestationException.class).hasMessageContaining("64 bytes");
    assertThatThrownBy(() -> SimulatedTdxAttester.measurementOfCode(new byte[32])).hasMessageContaining("48");
  }

  @Test
  void concurrentAttestationsAllVerify() throws Exception {
    // Proves attest() is thread-safe: quotes signed from several threads at once all verify.
    SimulatedTdxAttester attester = SimulatedTdxAttester.create(machine, MEASUREMENT);
    List<Evidence> evidence = java.util.stream.IntStream.range(0, 16).parallel().mapToObj(i -> {
      try {
        return attester.attest(REPORT_DATA);
      } catch (AttestationException e) {
        throw new IllegalStateException(e);
      }
    }).toList();

    assertThat(evidence).allSatisfy(e -> assertThat(verify(e, policy().build()).accepted()).isTrue());
  }
}
