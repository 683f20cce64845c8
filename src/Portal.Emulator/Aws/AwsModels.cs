namespace Portal.Emulator.Aws;

/// <summary>The botocore models the AWS half is held to, loaded once.</summary>
public sealed class AwsModels
{
    public AwsServiceModel Eks { get; } = AwsServiceModel.LoadEks();

    public AwsServiceModel Sts { get; } = AwsServiceModel.LoadSts();
}
