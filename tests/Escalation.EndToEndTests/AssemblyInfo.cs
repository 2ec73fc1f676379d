// One platform (six service processes, a database, a virtual host) for all end-to-end test classes.
[assembly: AssemblyFixture(typeof(Escalation.EndToEndTests.PlatformFixture))]
