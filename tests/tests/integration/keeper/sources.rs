//! What a managed balance is made of changes under the keeper: a source closed by its
//! owner, a venue that stopped delegating, the balance itself closed and re-created at
//! the same address. The keeper acts on what is there, once per need.

use super::*;
use anchor_spl::token_2022::spl_token_2022;
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, LinkSourceArgs, UpdateSourceArgs},
    state::{AutomationSettings, BalanceMode, ManagedBalance},
};
use smart_treasury_cli::demo::{setup::RESERVE_POOL, tokens::SPL_TOKEN};
use smart_treasury_client::read;
use smart_treasury_keeper::{
    planner,
    store::{ActionStatus, Store},
};

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;

async fn as_authority(
    env: &Env,
    summary: &str,
    instructions: Vec<anchor_lang::solana_program::instruction::Instruction>,
) {
    let change = Change { summary: summary.into(), instructions, co_signers: vec![] };
    tx::send(&env.rpc, &env.demo.authority, vec![change]).await.expect(summary);
}

async fn managed(env: &Env, id: u32) -> ManagedBalance {
    read::required(&env.rpc, "managed balance", &pda::managed_balance_pda(&env.demo.treasury, id)).await.expect("read")
}

fn threshold_top_ups(movements: &[Movement]) -> usize {
    movements.iter().filter(|movement| movement.kind == "threshold").count()
}

#[tokio::test]
async fn a_first_source_closed_by_its_owner_is_passed_over_and_the_next_one_pays() {
    let env = env().await;
    let authority = env.demo.authority.pubkey();
    let (treasury, hot) = (env.demo.treasury, env.hot_wallet_balance_id());
    // The venue becomes the hot wallet's first source, the reserve its second.
    let source = |token_account, priority, reserve_floor| {
        let args = UpdateSourceArgs { token_account, priority, reserve_floor, enabled: true, returns_allowed: false };
        ix::update_source(authority, treasury, hot, args)
    };
    let reserve_floor = managed(&env, 1).await.linked_sources()[0].reserve_floor;
    as_authority(&env, "reserve second", vec![source(env.demo.reserve_vault, 3, reserve_floor)]).await;
    as_authority(&env, "venue first", vec![source(env.demo.venue, 1, 0)]).await;
    env.close_venue().await;

    let reserve_before = read::token_account(&env.rpc, &env.demo.reserve_vault).await.expect("reserve").amount;
    let settings = env.keeper_settings("keeper").await;
    let store = settings.store.clone().expect("store");
    let (task, stop) = start(resolve(settings, FileConfig::default()).expect("settings"));
    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    env.settle().await;
    assert_eq!(threshold_top_ups(&env.hot_wallet_movements().await), 1);
    let reserve_after = read::token_account(&env.rpc, &env.demo.reserve_vault).await.expect("reserve").amount;
    assert_eq!(reserve_before - reserve_after, TARGET - MIN + 1, "the reserve paid it all");
    let refused = Store::open(&store).expect("store").actions_with_status(ActionStatus::Failed).expect("actions");
    assert!(refused.iter().all(|action| action.managed_balance != hot.to_string()), "{refused:?}");
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn a_venue_that_stopped_delegating_is_not_pushed_from_in_a_loop() {
    let env = env().await;
    let venue_balance = pda::managed_balance_pda(&env.demo.treasury, 2);
    let owner = env.venue_owner();
    // The venue's owner revokes the reserve pool's delegation, and the venue then holds
    // far more than its ratio: a push out of it is due but the pool may move nothing.
    let revoke =
        spl_token_2022::instruction::revoke(&SPL_TOKEN, &env.demo.venue, &owner.pubkey(), &[]).expect("revoke");
    tx::send(&env.rpc, &owner, vec![Change::new("revoke", revoke)]).await.expect("revoked");
    let mint = smart_treasury_cli::demo::tokens::mint_to(
        &env.demo.mint,
        &env.demo.venue,
        &env.demo.authority.pubkey(),
        2_000_000_000_000,
    )
    .expect("mint_to");
    tx::send(&env.rpc, &env.demo.authority, vec![Change::new("deposit at the venue", mint)]).await.expect("minted");

    let settings = env.keeper_settings("keeper").await;
    let store = settings.store.clone().expect("store");
    let config = resolve(settings, FileConfig::default()).expect("settings");
    let planner_config = config.planner;
    let (shared, task, stop) = start_shared(config);
    tokio::time::sleep(Duration::from_secs(4)).await;
    // A push is what the ratio asks for, and the keeper holds it for want of a delegation.
    let view = shared.fleet.read().await.view(&venue_balance).expect("the venue balance is read");
    let action = planner::plan(&view, None, shared.chain_now().await, &planner_config);
    assert_eq!(action, planner::Action::Wait(planner::Wait::NotSignable));
    let store = Store::open(&store).expect("store");
    let on_venue = |status| {
        store
            .actions_with_status(status)
            .expect("actions")
            .into_iter()
            .filter(|a| a.managed_balance == venue_balance.to_string())
            .count()
    };
    assert_eq!(on_venue(ActionStatus::Failed) + on_venue(ActionStatus::Pending) + on_venue(ActionStatus::Confirmed), 0);
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn a_balance_closed_and_created_again_at_the_same_address_is_a_new_need() {
    let env = env().await;
    let (task, stop) = start(env.keeper_config("keeper").await);
    let at_target = || async { env.hot_balance().await == TARGET };
    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(30), "the first top-up", at_target).await;

    // The authority closes the hot wallet's managed balance and creates it again, with
    // the same id (so the same address) and the same settings.
    let old = managed(&env, 1).await;
    let authority = env.demo.authority.pubkey();
    let (treasury, address) = (env.demo.treasury, env.hot_wallet_balance_id());
    as_authority(&env, "close", vec![ix::close_managed_balance(authority, treasury, address, authority)]).await;
    let args = CreateManagedBalanceArgs {
        id: 1,
        name: "hot wallet USDC".into(),
        min: old.min,
        target: old.target,
        max: old.max,
        mode: BalanceMode::Threshold,
        automation: AutomationSettings { ..old.automation },
        enabled: true,
    };
    let create = ix::create_managed_balance(
        authority,
        authority,
        treasury,
        old.destination,
        old.destination_pool,
        old.mint,
        old.token_program,
        args,
    );
    let source = &old.linked_sources()[0];
    let link = ix::link_source(
        authority,
        treasury,
        address,
        source.token_account,
        pda::pool_pda(&treasury, RESERVE_POOL),
        LinkSourceArgs { priority: 1, reserve_floor: source.reserve_floor, enabled: true, returns_allowed: false },
    );
    as_authority(&env, "create again", vec![create, link]).await;
    let new = managed(&env, 1).await;
    assert_ne!(new.config_version >> 32, old.config_version >> 32, "another creation");

    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(30), "the re-created balance topped up", at_target).await;
    env.settle().await;
    assert_eq!(threshold_top_ups(&env.hot_wallet_movements().await), 2);
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
