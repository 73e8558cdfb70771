# Which Pester the tests use; build.ps1 restores every version listed here from NuGet (the module sits in the
# package's tools/ folder), so no machine needs the PowerShell Gallery.
@{
    # The Pester that runs tests/Pester.
    Runner   = '5.7.1'
    # The example suites (examples/compliance) run, and their passed/failed counts are asserted, under each of these.
    Examples = @('5.7.1', '6.2.0')
}
