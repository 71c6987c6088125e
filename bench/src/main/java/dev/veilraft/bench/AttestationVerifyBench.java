package dev.veilraft.bench;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.NitroEvidenceVerifier;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Verifying one piece of real evidence from ../shared/vectors with a warm chain cache: what a
 * replica pays per join (the platform layer dominates; the policy layer is comparisons).
 * Run: {@code java -Dveilraft.shared.dir=../shared -jar bench/target/benchmarks.jar AttestationVerifyBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AttestationVerifyBench {
  private static final Instant IN_2026 = Instant.parse("2026-01-01T00:00:00Z");

  private final AttestationVerifier verifier = new AttestationVerifier();
  private Evidence snp;
  private Evidence tdx;
  private Evidence nitro;
  private Instant nitroAt;

  @Setup
  public void readVectors() throws Exception {
    Path vectors = Path.of(System.getProperty("veilraft.shared.dir", "../shared")).resolve("vectors");
    if (!Files.isDirectory(vectors)) {
      throw new IllegalStateException("no vectors at " + vectors.toAbsolutePath() + "; pass -Dveilraft.shared.dir");
    }
    List<byte[]> chain = new ArrayList<>();
    chain.addAll(Certificates.readAll(Files.readAllBytes(vectors.resolve("sev-snp/go-sev-guest/vcek.testcer")), "vcek"));
    chain.addAll(Certificates.readAll(Files.readAllBytes(vectors.resolve("sev-snp/amd-ark-ask/ask_ark_milan.pem")),
        "milan"));
    Evidence.Builder snpEvidence = Evidence.newBuilder().setPlatform(Platform.SEV_SNP)
        .setReport(ByteString.copyFrom(Files.readAllBytes(vectors.resolve("sev-snp/go-sev-guest/attestation.bin"))));
    Certificates.orderLeafFirst(chain).forEach(der -> snpEvidence.addCertChain(ByteString.copyFrom(der)));
    snp = snpEvidence.build();
    tdx = Evidence.newBuilder().setPlatform(Platform.TDX)
        .setReport(ByteString.copyFrom(Files.readAllBytes(vectors.resolve("tdx/trustee/tdx_quote_4.dat")))).build();
    byte[] document = Files.readAllBytes(vectors.resolve("nitro/evervault/valid-attestation-doc-bytes"));
    nitro = Evidence.newBuilder().setPlatform(Platform.NITRO).setReport(ByteString.copyFrom(document)).build();
    nitroAt = NitroEvidenceVerifier.documentTimestamp(document);
    for (AttestationResult result : List.of(verifySnpReport(), verifyTdxQuote(), verifyNitroDocument())) {
      if (!result.accepted()) {
        throw new IllegalStateException("benchmark evidence does not verify: " + result);
      }
    }
  }

  @Benchmark
  public AttestationResult verifySnpReport() {
    return verifier.verifyPlatform(snp, IN_2026);
  }

  @Benchmark
  public AttestationResult verifyTdxQuote() {
    return verifier.verifyPlatform(tdx, IN_2026);
  }

  @Benchmark
  public AttestationResult verifyNitroDocument() {
    return verifier.verifyPlatform(nitro, nitroAt);
  }
}
