package dev.veilraft.crypto.tee;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file operations the configfs-tsm attester needs. In production they are plain file calls on
 * the kernel's configfs, where {@code mkdir} makes the kernel populate the entry's attributes and
 * {@code rmdir} removes the entry with them. Tests substitute an emulation of that kernel behaviour
 * on a temporary directory, so the attester's protocol runs unchanged without a TEE.
 */
interface ConfigfsFiles {
  /** Creates a report entry; the kernel fills it with attributes. */
  void mkdir(Path entry) throws IOException;

  /** Writes one attribute in a single write, as configfs binary attributes require. */
  void write(Path attribute, byte[] value) throws IOException;

  /** Reads one attribute; fails when it holds more than {@code bytesMax} bytes. */
  byte[] read(Path attribute, int bytesMax) throws IOException;

  boolean exists(Path attribute);

  /** Removes a report entry (configfs rmdir also drops the attributes). */
  void rmdir(Path entry) throws IOException;

  /** The real thing: configfs through java.nio. */
  ConfigfsFiles KERNEL = new ConfigfsFiles() {
    @Override
    public void mkdir(Path entry) throws IOException {
      Files.createDirectory(entry);
    }

    @Override
    public void write(Path attribute, byte[] value) throws IOException {
      Files.write(attribute, value);
    }

    @Override
    public byte[] read(Path attribute, int bytesMax) throws IOException {
      return readBounded(attribute, bytesMax);
    }

    @Override
    public boolean exists(Path attribute) {
      return Files.exists(attribute);
    }

    @Override
    public void rmdir(Path entry) throws IOException {
      Files.delete(entry);
    }
  };

  /**
   * Reads at most {@code bytesMax} bytes of a file, failing when there are more. configfs and
   * sysfs report a size of 4096 for every attribute, so the size cannot be trusted up front.
   */
  static byte[] readBounded(Path file, int bytesMax) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(bytesMax + 1);
      if (bytes.length > bytesMax) {
        throw new IOException(file + " holds more than " + bytesMax + " bytes");
      }
      return bytes;
    }
  }
}
