Console.WriteLine("pastanoodles");
