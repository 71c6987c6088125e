package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SnpProduct;
import dev.veilraft.crypto.proto.TcbVersion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An on-disk cache of SEV-SNP endorsements, which an operator may also fill by hand for machines
 * that cannot reach AMD KDS. A VCEK never changes for a chip and TCB, and the ASK/ARK chain of a
 * product lives for 25 years, so entries never expire. Layout under the cache directory:
 * <pre>
 *   {Product}/vcek/cert_chain.pem                        ASK then ARK (KDS /vcek/v1/{Product}/cert_chain)
 *   {Product}/vlek/cert_chain.pem                        ASVK then ARK (KDS /vlek/v1/{Product}/cert_chain)
 *   {Product}/vcek/{hwid hex}/bl{B}-tee{T}-snp{S}-ucode{U}.der            the VCEK, Milan and Genoa
 *   {Product}/vcek/{hwid hex}/fmc{F}-bl{B}-tee{T}-snp{S}-ucode{U}.der     the VCEK, Turin
 * </pre>
 * {Product} is Milan, Genoa or Turin; the hwid is the lowercase hex of CHIP_ID's first 64 bytes
 * (8 on Turin); the SPLs are REPORTED_TCB's components in decimal. For example, with curl:
 * {@code curl -o Milan/vcek/cert_chain.pem https://kdsintf.amd.com/vcek/v1/Milan/cert_chain}.
 *
 * <p>The host can write this directory, so the cache is a convenience, not a root of trust:
 * {@link SnpEndorsements} checks whatever it reads here against the pinned AMD roots before use,
 * and the verifier checks everything again. Writes go to a temporary file in the same directory,
 * are forced to disk, then moved over the target, so a reader never sees half a certificate.
 */
public final class SnpEndorsementCache {
  /** Bound on one cached file; a VCEK is ~1.4 KB and a chain ~4.6 KB. */
  public static final int FILE_BYTES_MAX = 64 * 1024;
  static final String CHAIN_FILE = "cert_chain.pem";
  private static final int PEM_LINE_CHARS = 64;

  private final Path dir;

  public SnpEndorsementCache(Path dir) {
    this.dir = Objects.requireNonNull(dir, "cache directory");
  }

  public Path dir() {
    return dir;
  }

  /** Where the VCEK for this chip and reported TCB lives. */
  public Path vcekPath(SnpProduct product, byte[] chipId, TcbVersion tcb) {
    String hwid = Hashes.hex(AmdKdsClient.hwid(product, chipId));
    String spls = "bl" + tcb.getBootloader() + "-tee" + tcb.getTee() + "-snp" + tcb.getSnp() + "-ucode"
        + tcb.getMicrocode();
    String name = (product == SnpProduct.TURIN ? "fmc" + tcb.getFmc() + "-" : "") + spls + ".der";
    return dir.resolve(product.displayName()).resolve("vcek").resolve(hwid).resolve(name);
  }

  /** Where the signer-and-root chain of VCEKs (or VLEKs) of a product lives. */
  public Path chainPath(SnpProduct product, SnpSigningKey key) {
    return dir.resolve(product.displayName()).resolve(key.kdsSegment()).resolve(CHAIN_FILE);
  }

  /** The bytes at {@code file}, or empty when there is no such file. */
  Optional<byte[]> read(Path file) throws IOException {
    try {
      return Optional.of(ConfigfsFiles.readBounded(file, FILE_BYTES_MAX));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Replaces {@code file} atomically with {@code bytes}. */
  void write(Path file, byte[] bytes) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = Files.createTempFile(parent, "." + file.getFileName() + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** PEM text of DER certificates, in order, as KDS serves chains. */
  static byte[] pem(List<byte[]> ders) {
    StringBuilder out = new StringBuilder();
    Base64.Encoder encoder = Base64.getMimeEncoder(PEM_LINE_CHARS, new byte[] {'\n'});
    for (byte[] der : ders) {
      out.append("-----BEGIN CERTIFICATE-----\n").append(encoder.encodeToString(der))
          .append("\n-----END CERTIFICATE-----\n");
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "SnpEndorsementCache{" + dir + "}";
  }
}
