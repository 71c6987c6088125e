package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * A directory in which no new file can be made, for tests of what a node does with a directory it
 * cannot write: immutable ({@code chattr +i}) as root, who writes any directory whatever its mode,
 * else read-only. {@link #refuse} checks that the refusal took, so a test never goes on to start
 * a node that would then run instead of failing.
 */
public final class RefusedDirectory implements AutoCloseable {
  private final Path dir;
  private final boolean root;

  private RefusedDirectory(Path dir, boolean root) {
    this.dir = dir;
    this.root = root;
  }

  public static RefusedDirectory refuse(Path dir) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    RefusedDirectory refused = new RefusedDirectory(dir, root);
    refused.set(true);
    Path probe = dir.resolve("refused-directory-probe");
    try {
      Files.createFile(probe);
      Files.delete(probe);
      refused.close();
      throw new AssertionError(dir + " still takes new files after " + (root ? "chattr +i" : "chmod 500")
          + ": this test needs a user and file system that can refuse them");
    } catch (IOException expected) {
      return refused;
    }
  }

  @Override
  public void close() throws Exception {
    set(false);
  }

  private void set(boolean refuse) throws Exception {
    if (!root) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(refuse ? "r-x------" : "rwx------"));
      return;
    }
    String flag = refuse ? "+i" : "-i";
    Process chattr = new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true).start();
    String output = new String(chattr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(chattr.waitFor(30, TimeUnit.SECONDS)).as("chattr finished").isTrue();
    assertThat(chattr.exitValue()).as("chattr " + flag + " " + dir + ": " + output).isZero();
  }
}
