# bktec's witness for RSpec: records which examples RSpec selected and how
# each ended, as evidence beside the JSON result file (bktec decisions D23,
# D37).
#
# bktec loads it into the test command's RSpec with `--require` in SPEC_OPTS
# and reads the file it writes (named by BKTEC_RSPEC_WITNESS) once the
# attempt ends. It changes nothing in the run. It records as never run:
#
# - every example, when RSpec ran as a dry run (`--dry-run` on the command
#   line, in `.rspec` or SPEC_OPTS, or `config.dry_run = true`): RSpec then
#   reports every example as passed without running it;
# - the examples of the files bktec gave that a focus filter (`fit`,
#   `fdescribe`, `focus: true` with `filter_run_when_matching :focus`) or
#   `--only-failures` hid: such a filter follows the code or the last run,
#   not the user's choice of tests.
#
# Examples that the user's own tag filters (`--tag`, `--example`) leave out
# are counted as deselected, as pytest's `-m` and `-k` are.

require "json"

module BktecRspecWitness
  # Taken from the environment, so that an rspec that a spec starts does
  # not write over this one's file.
  OUTPUT = ENV.delete("BKTEC_RSPEC_WITNESS")

  # Inclusion filters that hide what the user did not choose to hide.
  HIDING = %i[focus last_run_status].freeze

  STATUS = { passed: "passed", failed: "failed", pending: "skipped" }.freeze

  module_function

  # Says that the witness loaded: a run that ends without the witness's
  # file (`exit!` in an `at_exit`, a crash) is then known to be cut short.
  def loaded
    File.write("#{OUTPUT}.loaded", "") if OUTPUT
  end

  # The examples RSpec loaded and those it selected, taken when the suite
  # starts: a hook that clears the world later cannot hide them.
  def snapshot
    world = RSpec.world
    groups = world.example_groups.flat_map(&:descendants)
    @snapshot = [groups.flat_map(&:examples), groups.flat_map { |group| world.filtered_examples[group] }]
  end

  def write
    return unless OUTPUT && defined?(RSpec::Core) && RSpec.respond_to?(:world)

    world = RSpec.world
    config = RSpec.configuration
    # A dry run runs no hook, so it is taken now.
    all, selected = @snapshot || snapshot
    rules = config.inclusion_filter.rules
    exclusions = world.filter_manager.exclusions
    hidden = (all - selected).select do |example|
      !exclusions.include_example?(example) && hidden_by_filter?(example, rules)
    end
    outcomes = config.dry_run? ? {} : outcomes_of(selected)
    warn_about(config.dry_run?, selected, hidden)
    document = {
      "version" => 1,
      "rootdir_from_cwd" => ".",
      "cwd_from_rootdir" => ".",
      "runner" => "rspec",
      "dry_run" => config.dry_run?,
      "selected" => (selected + hidden).map(&:id),
      "hidden" => hidden.map(&:id),
      "deselected" => all.size - selected.size - hidden.size,
      "outcomes" => outcomes,
      "collect_errors" => [],
    }
    temporary = "#{OUTPUT}.part"
    File.write(temporary, JSON.generate(document))
    File.rename(temporary, OUTPUT)
  end

  def outcomes_of(examples)
    examples.each_with_object({}) do |example, outcomes|
      status = STATUS[example.execution_result.status]
      outcomes[example.id] = status if status
    end
  end

  # Whether `example`, which RSpec did not select and no exclusion filter
  # left out, was hidden by a filter that bktec does not accept, although
  # bktec gave its file (or its id).
  def hidden_by_filter?(example, rules)
    return false unless HIDING.any? { |key| rules.key?(key) }

    asked?(example, rules[:ids])
  end

  # Whether bktec gave the example: its whole file, or its id or one of
  # its groups' ids.
  def asked?(example, ids)
    return true unless ids.is_a?(Hash)

    given = ids[example.metadata[:rerun_file_path]] || ids[example.file_path]
    return true if given.nil? || given.empty?

    scoped = example.metadata[:scoped_id].to_s
    given.any? { |id| scoped == id || scoped.start_with?("#{id}:") }
  end

  def warn_about(dry_run, selected, hidden)
    if dry_run && !selected.empty?
      $stderr.puts "bktec: RSpec ran as a dry run, so none of its #{selected.size} examples ran " \
                   "(--dry-run in the command, .rspec or SPEC_OPTS, or config.dry_run)"
    end
    return if hidden.empty?

    $stderr.puts "bktec: a focus filter (fit, fdescribe, focus: true) or --only-failures hid " \
                 "#{hidden.size} examples of the files bktec gave, e.g. #{hidden.first.id}"
  end
end

BktecRspecWitness.loaded
RSpec.configure { |config| config.before(:suite) { BktecRspecWitness.snapshot } } if defined?(RSpec)

at_exit do
  BktecRspecWitness.write
rescue StandardError => e
  # Without the file bktec judges the attempt by its result file alone.
  $stderr.puts "bktec: the RSpec witness could not write its file: #{e.message}"
end
