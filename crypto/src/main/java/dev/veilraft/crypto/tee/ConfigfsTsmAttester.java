package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An attester on the kernel's configfs-tsm report interface (Linux 6.7+,
 * Documentation/ABI/testing/configfs-tsm-report): one interface for SEV-SNP ({@code sev_guest}
 * provider: outblob is the 1184-byte report, auxblob the host's certificate table) and TDX
 * ({@code tdx_guest}: outblob is a DCAP quote the host's quote generation service produced).
 *
 * <p>Each request makes its own entry under {@code <configfs>/tsm/report}, writes {@code inblob}
 * (and {@code privlevel} when set), reads {@code outblob}, {@code auxblob} and {@code provider},
 * and removes the entry. The kernel counts writes to an entry in {@code generation}; if the count
 * after reading is not the writes made, someone else wrote to the entry in between and the blobs
 * may answer their request, so the attempt is discarded and retried, at most
 * {@value #RACE_ATTEMPTS_MAX} times. The returned report must echo the report data asked for.
 *
 * <p>Building the attester takes one report, to learn the platform and the measurement and to
 * fail at startup rather than at the first join when something is missing.
 */
public final class ConfigfsTsmAttester implements Attester {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigfsTsmAttester.class);

  /** Where configfs-tsm reports live when configfs is mounted at its usual place. */
  public static final Path REPORT_DIR_DEFAULT = Path.of("/sys/kernel/config/tsm/report");
  /** The provider name of the SEV-SNP guest driver. */
  public static final String PROVIDER_SEV_GUEST = "sev_guest";
  /** The provider name of the TDX guest driver. */
  public static final String PROVIDER_TDX_GUEST = "tdx_guest";
  /** Attempts when another writer changes our entry between write and read. */
  public static final int RACE_ATTEMPTS_MAX = 3;
  /** The kernel's TSM_OUTBLOB_MAX (32 KiB). */
  public static final int OUTBLOB_BYTES_MAX = 32 * 1024;
  /** TSM_PRIVLEVEL_MAX: SEV-SNP has VMPL 0 to 3. */
  public static final int PRIVLEVEL_MAX = 3;
  /** Bound on text attributes (provider, generation, privlevel_floor). */
  static final int ATTRIBUTE_TEXT_BYTES_MAX = 64;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicLong ENTRY_COUNTER = new AtomicLong();

  private final Path reportDir;
  private final ConfigfsFiles files;
  private final OptionalInt privlevel;
  private final SnpEndorsements endorsements;
  private final Platform platform;
  private final String provider;
  private volatile byte[] measurement;

  private ConfigfsTsmAttester(Builder b, Platform platform, String provider, byte[] measurement) {
    this.reportDir = b.reportDir;
    this.files = b.files;
    this.privlevel = b.privlevel;
    this.endorsements = b.endorsements;
    this.platform = platform;
    this.provider = provider;
    this.measurement = measurement;
  }

  /** Options for an attester on the report directory {@code <configfs>/tsm/report}. */
  public static Builder builder(Path reportDir) {
    return new Builder(reportDir);
  }

  @Override
  public Platform platform() {
    return platform;
  }

  /** The configfs-tsm provider: {@value #PROVIDER_SEV_GUEST} or {@value #PROVIDER_TDX_GUEST}. */
  public String provider() {
    return provider;
  }

  /**
   * SEV-SNP: MEASUREMENT (48 bytes). TDX: MRTD || RTMR0..3 (240 bytes), as of the latest report,
   * since the runtime registers grow as the guest extends them.
   */
  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  @Override
  public Evidence attest(byte[] reportData) throws AttestationException {
    EvidenceAssembly.checkReportData(reportData);
    Blobs blobs = generate(reportData);
    if (!blobs.provider().equals(provider)) {
      throw new AttestationException("configfs-tsm provider changed from '" + provider + "' to '"
          + Check.printable(blobs.provider()) + "'");
    }
    EvidenceAssembly.Assembled assembled = evidence(platform, blobs, reportData, endorsements);
    measurement = assembled.measurement();
    return assembled.evidence();
  }

  /** The raw answer of one configfs-tsm request. */
  record Blobs(String provider, byte[] outblob, byte[] auxblob) {}

  private Blobs generate(byte[] reportData) throws AttestationException {
    return generate(reportDir, files, privlevel, reportData);
  }

  private static Blobs generate(Path reportDir, ConfigfsFiles files, OptionalInt privlevel, byte[] reportData)
      throws AttestationException {
    for (int attempt = 1; attempt <= RACE_ATTEMPTS_MAX; attempt++) {
      Path entry = reportDir.resolve(entryName());
      try {
        files.mkdir(entry);
      } catch (IOException e) {
        throw new AttestationException("cannot create configfs-tsm report entry " + entry + ": " + e
            + " (needs write access to " + reportDir + ", usually root)", e);
      }
      try {
        long expected = generation(files, entry);
        files.write(entry.resolve("inblob"), reportData);
        expected++;
        if (privlevel.isPresent()) {
          checkFloor(files, entry, privlevel.getAsInt());
          files.write(entry.resolve("privlevel"), Integer.toString(privlevel.getAsInt())
              .getBytes(StandardCharsets.US_ASCII));
          expected++;
        }
        byte[] outblob = files.read(entry.resolve("outblob"), OUTBLOB_BYTES_MAX);
        Path auxPath = entry.resolve("auxblob");
        byte[] auxblob = files.exists(auxPath) ? files.read(auxPath, SnpCertificateTable.TABLE_BYTES_MAX)
            : new byte[0];
        String provider = text(files, entry.resolve("provider"));
        long seen = generation(files, entry);
        if (seen == expected) {
          return new Blobs(provider, outblob, auxblob);
        }
        LOG.warn("configfs-tsm entry {} reached generation {} where {} was expected: another writer raced"
            + " this request (attempt {} of {})", entry, seen, expected, attempt, RACE_ATTEMPTS_MAX);
      } catch (IOException e) {
        throw new AttestationException("configfs-tsm report at " + entry + " failed: " + e, e);
      } finally {
        remove(files, entry);
      }
    }
    throw new AttestationException("configfs-tsm report generation changed between write and read on all "
        + RACE_ATTEMPTS_MAX + " attempts: another process keeps writing to this guest's report entries");
  }

  private static EvidenceAssembly.Assembled evidence(Platform platform, Blobs blobs, byte[] reportData,
      SnpEndorsements endorsements) throws AttestationException {
    return platform == Platform.SEV_SNP
        ? EvidenceAssembly.snp(blobs.outblob(), blobs.auxblob(), reportData, endorsements)
        : EvidenceAssembly.tdx(blobs.outblob(), reportData);
  }

  private static Platform platformOf(String provider) throws AttestationException {
    return switch (provider) {
      case PROVIDER_SEV_GUEST -> Platform.SEV_SNP;
      case PROVIDER_TDX_GUEST -> Platform.TDX;
      default -> throw new AttestationException("configfs-tsm provider '" + Check.printable(provider)
          + "' is not supported (" + PROVIDER_SEV_GUEST + " and " + PROVIDER_TDX_GUEST + " are)");
    };
  }

  private static void checkFloor(ConfigfsFiles files, Path entry, int level) throws IOException,
      AttestationException {
    Path floorPath = entry.resolve("privlevel_floor");
    if (files.exists(floorPath)) {
      long floor = number(files, floorPath);
      if (level < floor) {
        throw new AttestationException("privlevel " + level + " is below this guest's privlevel_floor " + floor
            + " (the kernel runs at VMPL " + floor + " and cannot ask for a more privileged report)");
      }
    }
  }

  private static long generation(ConfigfsFiles files, Path entry) throws IOException {
    return number(files, entry.resolve("generation"));
  }

  private static long number(ConfigfsFiles files, Path attribute) throws IOException {
    String text = text(files, attribute);
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IOException(attribute + " holds '" + Check.printable(text) + "', not a number", e);
    }
  }

  private static String text(ConfigfsFiles files, Path attribute) throws IOException {
    return new String(files.read(attribute, ATTRIBUTE_TEXT_BYTES_MAX), StandardCharsets.US_ASCII).trim();
  }

  private static void remove(ConfigfsFiles files, Path entry) {
    try {
      files.rmdir(entry);
    } catch (IOException e) {
      LOG.warn("could not remove configfs-tsm report entry {}: {}", entry, e.toString());
    }
  }

  /** Unique per process and request, so concurrent attesters (and processes) never share an entry. */
  private static String entryName() {
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    return "veilraft-" + ProcessHandle.current().pid() + "-" + ENTRY_COUNTER.incrementAndGet() + "-"
        + Hashes.hex(random);
  }

  @Override
  public String toString() {
    return "ConfigfsTsmAttester{" + reportDir + ", provider=" + provider + ", platform=" + platform + "}";
  }

  /** Options of a configfs-tsm attester. */
  public static final class Builder {
    private final Path reportDir;
    private ConfigfsFiles files = ConfigfsFiles.KERNEL;
    private OptionalInt privlevel = OptionalInt.empty();
    private Platform expected;
    private SnpEndorsements endorsements = SnpEndorsements.tableOnly();

    private Builder(Path reportDir) {
      this.reportDir = Objects.requireNonNull(reportDir, "report directory");
    }

    /** The privilege level (SEV-SNP VMPL) to ask the report for, 0 to 3; unset leaves the kernel's default. */
    public Builder privlevel(int level) {
      Check.argument(level >= 0 && level <= PRIVLEVEL_MAX, "privlevel must be 0 to " + PRIVLEVEL_MAX + ", got "
          + level);
      this.privlevel = OptionalInt.of(level);
      return this;
    }

    /** Fail at build time unless the provider is this platform's. */
    public Builder expect(Platform platform) {
      Check.argument(platform == Platform.SEV_SNP || platform == Platform.TDX,
          "configfs-tsm serves SEV_SNP or TDX, not " + platform);
      this.expected = platform;
      return this;
    }

    /** Where SEV-SNP endorsements missing from the host's table come from; only the table by default. */
    public Builder endorsements(SnpEndorsements endorsements) {
      this.endorsements = Objects.requireNonNull(endorsements, "endorsements");
      return this;
    }

    /** The file operations; tests emulate the kernel's configfs with them. */
    Builder files(ConfigfsFiles files) {
      this.files = Objects.requireNonNull(files, "files");
      return this;
    }

    /** Takes one report to learn the platform and the measurement; fails if configfs-tsm cannot attest. */
    public ConfigfsTsmAttester build() throws AttestationException {
      byte[] probe = new byte[ReportData.BYTES];
      RANDOM.nextBytes(probe);
      Blobs blobs = generate(reportDir, files, privlevel, probe);
      Platform platform = platformOf(blobs.provider());
      if (expected != null && expected != platform) {
        throw new AttestationException("configfs-tsm provider '" + blobs.provider() + "' serves " + platform
            + ", not the expected " + expected);
      }
      EvidenceAssembly.Assembled assembled = evidence(platform, blobs, probe, endorsements);
      return new ConfigfsTsmAttester(this, platform, blobs.provider(), assembled.measurement());
    }
  }
}
