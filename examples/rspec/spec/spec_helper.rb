# The demo's switches (see README.md): BKTEC_EXAMPLE_FAIL=1 makes one test
# fail for real; BKTEC_EXAMPLE_FLAKY_DIR=<dir> makes one test fail once, until
# it has left a marker file in <dir>.
module Demo
  def self.fail?
    ENV["BKTEC_EXAMPLE_FAIL"] == "1"
  end

  def self.flaky_fails_now?(name)
    dir = ENV["BKTEC_EXAMPLE_FLAKY_DIR"]
    return false if dir.nil? || dir.empty?
    marker = File.join(dir, name)
    return false if File.exist?(marker)
    File.write(marker, "failed once\n")
    true
  end
end
